package io.tidemark.mart.query;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.tidemark.mart.model.DailyMetrics;
import io.tidemark.mart.repository.EventIndexReader;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.LocalDate;
import java.util.HashSet;
import java.util.Set;

/** Counts events and distinct users per event day, with empty days reported as zeros. */
@ApplicationScoped
public class DailyMetricsQuery {

    private final EventIndexReader reader;

    public DailyMetricsQuery(EventIndexReader reader) {
        this.reader = reader;
    }

    public Uni<DailyMetrics> daily(String source, LocalDate from, LocalDate to) {
        return Multi.createFrom().items(from.datesUntil(to.plusDays(1)))
                .onItem().transformToUniAndConcatenate(day -> countDay(source, day))
                .collect().asList()
                .map(days -> new DailyMetrics(source, from, to, days));
    }

    private Uni<DailyMetrics.Day> countDay(String source, LocalDate day) {
        return reader.usersOfDay(source, day).collect().in(DayTally::new, DayTally::add)
                .map(tally -> new DailyMetrics.Day(day, tally.events, tally.users.size()));
    }

    private static final class DayTally {
        private long events;
        private final Set<String> users = new HashSet<>();

        void add(String user) {
            events++;
            users.add(user);
        }
    }
}
