package io.tidemark.mart.layout;

import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.schema.MessageType;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** A file's rows as parquet-java (the reader under Spark and Trino's Hive connector) reads them, in file order. */
public final class ParquetJavaRows {

    private ParquetJavaRows() {
    }

    /** Every row of {@code file}, after {@code schemaCheck} has seen its schema. */
    public static List<Group> readAll(Path file, Consumer<MessageType> schemaCheck) throws IOException {
        List<Group> rows = new ArrayList<>();
        try (ParquetFileReader reader = ParquetFileReader.open(new LocalInputFile(file))) {
            MessageType schema = reader.getFooter().getFileMetaData().getSchema();
            schemaCheck.accept(schema);
            PageReadStore pages;
            while ((pages = reader.readNextRowGroup()) != null) {
                rows.addAll(rowsOf(pages, schema));
            }
        }
        return rows;
    }

    /** The rows of one row group, in file order. */
    public static List<Group> rowsOf(PageReadStore rowGroup, MessageType schema) {
        RecordReader<Group> records = new ColumnIOFactory().getColumnIO(schema)
                .getRecordReader(rowGroup, new GroupRecordConverter(schema));
        List<Group> rows = new ArrayList<>();
        for (long i = 0; i < rowGroup.getRowCount(); i++) {
            rows.add(records.read());
        }
        return rows;
    }
}
