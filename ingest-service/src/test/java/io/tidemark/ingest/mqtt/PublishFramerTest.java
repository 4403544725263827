package io.tidemark.ingest.mqtt;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The broker's byte stream cut at every place a read may end, through the framer and Netty's decoder. */
class PublishFramerTest {

    private static final int LIMIT = 1_000;

    /** Small and oversized messages side by side, as a broker writes its in-flight window at once. */
    private static byte[] stream() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        write(out, publish("tidemark/a/events", MqttQoS.AT_LEAST_ONCE, 11, "first".getBytes(StandardCharsets.UTF_8)));
        write(out, publish("tidemark/b/events", MqttQoS.AT_LEAST_ONCE, 12, filled(5_000, 'x')));
        write(out, publish("tidemark/c/events", MqttQoS.AT_MOST_ONCE, 0, filled(300, 'y')));
        write(out, publish("tidemark/d/events", MqttQoS.AT_MOST_ONCE, 0, filled(200_000, 'z')));
        write(out, new MqttMessage(new MqttFixedHeader(MqttMessageType.PINGRESP, false, MqttQoS.AT_MOST_ONCE, false, 0)));
        // Exactly at the limit is read; one byte over is read past.
        write(out, publish("t", MqttQoS.AT_LEAST_ONCE, 13, filled(LIMIT - 5, 'e')));
        write(out, publish("t", MqttQoS.AT_LEAST_ONCE, 14, filled(LIMIT - 4, 'o')));
        write(out, MqttMessageBuilders.subAck().packetId(1).addGrantedQos(MqttQoS.AT_LEAST_ONCE).build());
        write(out, publish("tidemark/a/events", MqttQoS.AT_LEAST_ONCE, 15, "last".getBytes(StandardCharsets.UTF_8)));
        return out.toByteArray();
    }

    private static final List<String> EXPECTED = List.of(
            "publish tidemark/a/events 11 5 bytes of f",
            "oversized tidemark/b/events AT_LEAST_ONCE 12 " + (2 + 17 + 2 + 5_000),
            "publish tidemark/c/events -1 300 bytes of y",
            "oversized tidemark/d/events AT_MOST_ONCE -1 " + (2 + 17 + 200_000),
            "PINGRESP",
            "publish t 13 " + (LIMIT - 5) + " bytes of e",
            "oversized t AT_LEAST_ONCE 14 " + (LIMIT + 1),
            "suback [1]",
            "publish tidemark/a/events 15 4 bytes of l");

    @Test
    void everyMessageComesOutInOrderWhereverTheReadsEnd() {
        byte[] stream = stream();
        for (int size : new int[] {1, 2, 3, 4, 5, 7, 64, 999, 1_000, 1_001, 4_096, 65_536, stream.length}) {
            assertEquals(EXPECTED, read(stream, fixed(stream.length, size)), "reads of " + size + " bytes");
        }
        Random random = new Random(7);
        for (int round = 0; round < 200; round++) {
            List<Integer> sizes = new ArrayList<>();
            for (int left = stream.length; left > 0; ) {
                int size = Math.min(left, 1 + random.nextInt(random.nextBoolean() ? 8 : 20_000));
                sizes.add(size);
                left -= size;
            }
            assertEquals(EXPECTED, read(stream, sizes), "reads of " + sizes);
        }
    }

    @Test
    void theBytesOfAPublishReadPastAreNeverHandedOn() {
        byte[] stream = stream();
        long[] handedOn = {0};
        EmbeddedChannel channel = new EmbeddedChannel(new PublishFramer(LIMIT), new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof ByteBuf bytes) {
                    handedOn[0] += bytes.readableBytes();
                }
                ReferenceCountUtil.release(msg);
            }
        });
        for (int offset = 0; offset < stream.length; offset += 4_096) {
            channel.writeInbound(Unpooled.wrappedBuffer(stream, offset, Math.min(4_096, stream.length - offset)));
        }
        // Each oversized frame: its fixed header (3, 4 and 3 bytes) and its remaining length.
        long readPast = (3 + 2 + 17 + 2 + 5_000) + (4 + 2 + 17 + 200_000) + (3 + LIMIT + 1);
        assertEquals(stream.length - readPast, handedOn[0]);
        channel.finishAndReleaseAll();
    }

    @Test
    void aRemainingLengthOfFiveBytesIsRefused() {
        EmbeddedChannel channel = channel();
        ByteBuf garbage = Unpooled.wrappedBuffer(new byte[] {0x30, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x01});
        assertThrows(DecoderException.class, () -> channel.writeInbound(garbage));
        channel.finishAndReleaseAll();
    }

    private static List<String> read(byte[] stream, List<Integer> sizes) {
        EmbeddedChannel channel = channel();
        int offset = 0;
        for (int size : sizes) {
            channel.writeInbound(Unpooled.wrappedBuffer(stream, offset, size));
            offset += size;
        }
        List<String> seen = new ArrayList<>();
        for (Object message; (message = channel.readInbound()) != null; ) {
            seen.add(describe(message));
            ReferenceCountUtil.release(message);
        }
        assertTrue(!channel.finish(), "nothing left over");
        return seen;
    }

    private static String describe(Object message) {
        if (message instanceof OversizedPublish oversized) {
            return "oversized " + oversized.topic() + " " + oversized.qos() + " " + oversized.packetId() + " "
                    + oversized.remainingLength();
        }
        if (message instanceof MqttPublishMessage publish) {
            String payload = publish.payload().toString(StandardCharsets.UTF_8);
            return "publish " + publish.variableHeader().topicName() + " " + publish.variableHeader().packetId() + " "
                    + payload.length() + " bytes of " + payload.charAt(0);
        }
        if (message instanceof MqttSubAckMessage suback) {
            return "suback " + suback.payload().grantedQoSLevels();
        }
        MqttMessage mqtt = (MqttMessage) message;
        assertTrue(mqtt.decoderResult().isSuccess(), () -> "decoded: " + mqtt.decoderResult());
        return mqtt.fixedHeader().messageType().name();
    }

    private static EmbeddedChannel channel() {
        return new EmbeddedChannel(new PublishFramer(LIMIT), new MqttDecoder(LIMIT));
    }

    private static List<Integer> fixed(int length, int size) {
        List<Integer> sizes = new ArrayList<>();
        for (int left = length; left > 0; left -= size) {
            sizes.add(Math.min(size, left));
        }
        return sizes;
    }

    private static MqttPublishMessage publish(String topic, MqttQoS qos, int packetId, byte[] payload) {
        return MqttMessageBuilders.publish().topicName(topic).qos(qos).messageId(packetId)
                .payload(Unpooled.wrappedBuffer(payload)).build();
    }

    private static byte[] filled(int length, char c) {
        return String.valueOf(c).repeat(length).getBytes(StandardCharsets.US_ASCII);
    }

    private static void write(ByteArrayOutputStream out, MqttMessage message) {
        EmbeddedChannel encoder = new EmbeddedChannel(MqttEncoder.INSTANCE);
        encoder.writeOutbound(message);
        for (ByteBuf frame; (frame = encoder.readOutbound()) != null; ) {
            out.writeBytes(ByteBufUtil.getBytes(frame));
            frame.release();
        }
        encoder.finishAndReleaseAll();
    }
}
