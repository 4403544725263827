package io.tidemark.ingest.mqtt;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttQoS;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Sits before Netty's {@code MqttDecoder} and reads past a PUBLISH larger than the limit instead of handing
 * it on: the decoder would refuse it and then refuse every byte after it, so the connection would close with
 * the message unacknowledged, and the broker would send it first again on every reconnect. Only the
 * message's topic and packet id are kept; its payload is released as it arrives, so the memory it costs is
 * its variable header whatever its size. It goes on as an {@link OversizedPublish} in its place, and every
 * other frame's bytes go on unchanged.
 *
 * <p>Not shareable: it follows one connection's stream from frame to frame.
 */
final class PublishFramer extends ChannelInboundHandlerAdapter {

    /** One byte of type and flags, then at most four of remaining length. */
    private static final int MAX_FIXED_HEADER = 5;
    private static final int PUBLISH = MqttMessageType.PUBLISH.value();

    private enum State {
        /** Reading a frame's fixed header. */
        HEADER,
        /** Handing on a frame's remaining bytes. */
        BODY,
        /** Reading an oversized PUBLISH's topic and packet id. */
        OVERSIZED_HEADER,
        /** Releasing an oversized PUBLISH's payload. */
        OVERSIZED_PAYLOAD
    }

    private final int maxRemainingLength;
    private final byte[] fixed = new byte[MAX_FIXED_HEADER];
    private State state = State.HEADER;
    private int fixedLength;
    /** Bytes of the fixed header that arrived in an earlier read and were not handed on yet. */
    private int heldFromEarlierRead;
    /** Where the fixed header began in the current read, when it began there. */
    private int fixedStart;
    /** Bytes of the current frame not read yet. */
    private long left;
    private MqttQoS oversizedQos;
    private int oversizedLength;
    private byte[] variable;
    private int variableLength;

    /** @param maxRemainingLength the largest remaining length (variable header and payload) handed on */
    PublishFramer(int maxRemainingLength) {
        this.maxRemainingLength = maxRemainingLength;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            read(ctx, in);
        } finally {
            in.release();
        }
    }

    private void read(ChannelHandlerContext ctx, ByteBuf in) {
        // The bytes from runStart on are handed on as one slice when the run ends; -1 while reading past.
        int runStart = readingPast() ? -1 : in.readerIndex();
        while (in.isReadable()) {
            switch (state) {
                case BODY -> {
                    int n = (int) Math.min(left, in.readableBytes());
                    in.skipBytes(n);
                    left -= n;
                    if (left == 0) {
                        state = State.HEADER;
                    }
                }
                case HEADER -> {
                    if (fixedLength == 0) {
                        fixedStart = in.readerIndex();
                    }
                    fixed[fixedLength++] = in.readByte();
                    if (fixedLength == 1 || (fixed[fixedLength - 1] & 0x80) != 0) {
                        if (fixedLength == MAX_FIXED_HEADER) {
                            throw new DecoderException("MQTT remaining length longer than four bytes");
                        }
                        continue;
                    }
                    long remaining = remainingLength();
                    int type = (fixed[0] & 0xFF) >> 4;
                    boolean headerBeganHere = heldFromEarlierRead == 0;
                    if (type == PUBLISH && remaining > maxRemainingLength) {
                        forward(ctx, in, runStart, headerBeganHere ? fixedStart : runStart);
                        runStart = -1;
                        oversizedQos = MqttQoS.valueOf((fixed[0] & 0x06) >> 1);
                        oversizedLength = (int) remaining;
                        variable = new byte[2];
                        variableLength = 0;
                        state = State.OVERSIZED_HEADER;
                    } else {
                        if (!headerBeganHere) {
                            // The rest of this header begins the run of this read.
                            ctx.fireChannelRead(Unpooled.wrappedBuffer(Arrays.copyOf(fixed, heldFromEarlierRead)));
                        }
                        state = remaining > 0 ? State.BODY : State.HEADER;
                    }
                    left = remaining;
                    fixedLength = 0;
                    heldFromEarlierRead = 0;
                }
                case OVERSIZED_HEADER -> {
                    variable[variableLength++] = in.readByte();
                    left--;
                    if (variableLength == 2) {
                        int topicLength = ((variable[0] & 0xFF) << 8) | (variable[1] & 0xFF);
                        int packetIdLength = oversizedQos == MqttQoS.AT_MOST_ONCE ? 0 : 2;
                        if (2 + topicLength + packetIdLength > oversizedLength) {
                            throw new DecoderException("MQTT PUBLISH whose topic is longer than the message");
                        }
                        variable = Arrays.copyOf(variable, 2 + topicLength + packetIdLength);
                    }
                    if (variableLength == variable.length) {
                        state = State.OVERSIZED_PAYLOAD;
                    }
                }
                case OVERSIZED_PAYLOAD -> {
                    int n = (int) Math.min(left, in.readableBytes());
                    in.skipBytes(n);
                    left -= n;
                }
                default -> throw new IllegalStateException(state.name());
            }
            if (state == State.OVERSIZED_PAYLOAD && left == 0) {
                ctx.fireChannelRead(oversized());
                variable = null;
                state = State.HEADER;
                runStart = in.readerIndex();
            }
        }
        if (runStart >= 0) {
            int end = in.readerIndex();
            if (state == State.HEADER && fixedLength > 0) {
                // A fixed header not complete yet is held back: until it is, nobody knows where its frame goes.
                end = heldFromEarlierRead == 0 ? fixedStart : runStart;
            }
            forward(ctx, in, runStart, end);
        }
        if (state == State.HEADER) {
            heldFromEarlierRead = fixedLength;
        }
    }

    private boolean readingPast() {
        return state == State.OVERSIZED_HEADER || state == State.OVERSIZED_PAYLOAD;
    }

    private long remainingLength() {
        long value = 0;
        for (int i = fixedLength - 1; i >= 1; i--) {
            value = (value << 7) | (fixed[i] & 0x7F);
        }
        return value;
    }

    private OversizedPublish oversized() {
        int topicLength = ((variable[0] & 0xFF) << 8) | (variable[1] & 0xFF);
        String topic = new String(variable, 2, topicLength, StandardCharsets.UTF_8);
        int packetId = oversizedQos == MqttQoS.AT_MOST_ONCE ? -1
                : ((variable[2 + topicLength] & 0xFF) << 8) | (variable[3 + topicLength] & 0xFF);
        return new OversizedPublish(topic, oversizedQos, packetId, oversizedLength);
    }

    private static void forward(ChannelHandlerContext ctx, ByteBuf in, int from, int to) {
        if (to > from) {
            ctx.fireChannelRead(in.retainedSlice(from, to - from));
        }
    }
}
