package io.tidemark.bulk.source;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;

/**
 * Text of a PostgreSQL database whose server_encoding is SQL_ASCII. Such a database keeps whatever bytes its
 * clients wrote and checks none, so one column may hold UTF-8 in one row and windows-1252 in the next. The
 * connection reads it byte for byte (client_encoding LATIN1: one character a byte), and each value is then
 * read as UTF-8 where its bytes are valid UTF-8, and in the job's {@code text-encoding} where they are not.
 */
final class LegacyText {

    private final Charset otherwise;

    LegacyText(Charset otherwise) {
        this.otherwise = otherwise;
    }

    /** @param oneCharPerByte a value as the connection decoded it, each character one byte of the stored text */
    String decode(String oneCharPerByte) {
        int length = oneCharPerByte.length();
        int i = 0;
        while (i < length && oneCharPerByte.charAt(i) < 0x80) {
            i++;
        }
        if (i == length) {
            // ASCII reads the same in every encoding this applies to.
            return oneCharPerByte;
        }
        byte[] bytes = oneCharPerByte.getBytes(StandardCharsets.ISO_8859_1);
        try {
            // A new decoder reports malformed input instead of replacing it.
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException notUtf8) {
            return new String(bytes, otherwise);
        }
    }
}
