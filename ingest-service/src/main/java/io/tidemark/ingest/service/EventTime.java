package io.tidemark.ingest.service;

import io.tidemark.event.EventFlag;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;

/**
 * Decides an event's time from the times a client sent and the time it arrived. The README's table
 * "Event time" gives each rule with its reason; in short, a client's clock is checked against ours
 * through {@code sentAt}, but only where {@code sentAt} is really the time of sending:
 * <ol>
 * <li>no client time at all: the receive time;</li>
 * <li>a {@code timestamp} the caller set beside the SDK's own {@code originalTimestamp}: as given;</li>
 * <li>no {@code sentAt}: the client's time as given (nothing to check the clock against);</li>
 * <li>{@code sentAt} within the clock tolerance of the receive time: the clock is right, as given;</li>
 * <li>an SDK that stamps {@code sentAt} when it closes a batch (mobile queues), with {@code sentAt}
 * before the receive time, but by less than the longest queue: the gap is queueing, not a slow clock, so
 * as given (flagged, as the two cannot be told apart);</li>
 * <li>otherwise the clock is wrong by {@code sentAt - receivedAt}: shifted by that much;</li>
 * </ol>
 * and whatever that gives, a time beyond the future tolerance is clamped to the receive time.
 */
public final class EventTime {

    private EventTime() {
    }

    /** The row of the rule that decided an event's time, and the flag that records it. */
    public enum Rule {
        RECEIVED(EventFlag.TIME_RECEIVED),
        CALLER_SET(EventFlag.TIME_CALLER_SET),
        UNCHECKED(EventFlag.TIME_UNCHECKED),
        CLOCK_AGREES(EventFlag.TIME_CLOCK_AGREES),
        QUEUE_ASSUMED(EventFlag.TIME_QUEUE_ASSUMED),
        SKEW_CORRECTED(EventFlag.SKEW_CORRECTED);

        private final EventFlag flag;

        Rule(EventFlag flag) {
            this.flag = flag;
        }

        public EventFlag flag() {
            return flag;
        }
    }

    /**
     * The times a client sent, any of them null when absent.
     *
     * @param sentAtAtBatchClose whether the client's SDK stamps {@code sentAt} when it closes a batch
     *        rather than when it sends it, so a late {@code sentAt} may be queueing, not a slow clock
     */
    public record ClientTimes(Instant timestamp, Instant originalTimestamp, Instant sentAt, boolean sentAtAtBatchClose) {

        /** The client's time of the event: the caller's {@code timestamp}, else the SDK's {@code originalTimestamp}. */
        public Instant clientTime() {
            return timestamp != null ? timestamp : originalTimestamp;
        }
    }

    /**
     * @param clockTolerance a {@code sentAt} this close to the receive time is transit, not a wrong clock
     * @param futureTolerance how far ahead of the receive time an event time may lie before it is clamped
     * @param longestQueue the oldest event time accepted at all ({@code max-event-age}): a batch closed longer
     *        ago than that cannot be taken for a queue, as all its events would be refused; its {@code sentAt} is
     *        a clock reset (a device back at its factory date before the network set it), and is corrected
     */
    public record Policy(Duration clockTolerance, Duration futureTolerance, Duration longestQueue) {
    }

    /** The decided event time, the rule that decided it, and whether it was clamped. */
    public record Decided(Instant timestamp, Rule rule, boolean clamped) {

        public Set<EventFlag> flags() {
            Set<EventFlag> flags = EnumSet.of(rule.flag());
            if (clamped) {
                flags.add(EventFlag.FUTURE_TIMESTAMP_CLAMPED);
            }
            return flags;
        }
    }

    public static Decided decide(Instant receivedAt, ClientTimes client, Policy policy) {
        Instant clientTime = client.clientTime();
        Instant sentAt = client.sentAt();
        Instant time;
        Rule rule;
        if (clientTime == null) {
            time = receivedAt;
            rule = Rule.RECEIVED;
        } else if (client.timestamp() != null && client.originalTimestamp() != null
                && !client.timestamp().equals(client.originalTimestamp())) {
            time = client.timestamp();
            rule = Rule.CALLER_SET;
        } else if (sentAt == null) {
            time = clientTime;
            rule = Rule.UNCHECKED;
        } else {
            Duration clockAhead = Duration.between(receivedAt, sentAt);
            // Not clockAhead.abs(): negating a Duration goes through BigDecimal, once per event of every
            // batch that was sent before it arrived, which is nearly all of them.
            Duration clockGap = clockAhead.isNegative() ? Duration.between(sentAt, receivedAt) : clockAhead;
            if (clockGap.compareTo(policy.clockTolerance()) <= 0) {
                time = clientTime;
                rule = Rule.CLOCK_AGREES;
            } else if (client.sentAtAtBatchClose() && clockAhead.isNegative()
                    && clockGap.compareTo(policy.longestQueue()) < 0) {
                time = clientTime;
                rule = Rule.QUEUE_ASSUMED;
            } else {
                // receivedAt - (sentAt - clientTime): the client's interval from the call to the send is
                // trusted, its absolute time is not.
                time = clientTime.minus(clockAhead);
                rule = Rule.SKEW_CORRECTED;
            }
        }
        boolean clamped = time.isAfter(receivedAt.plus(policy.futureTolerance()));
        return new Decided(clamped ? receivedAt : time, rule, clamped);
    }
}
