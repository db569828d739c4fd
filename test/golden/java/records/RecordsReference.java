import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.EndTransactionMarker;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;

import java.nio.ByteBuffer;
import java.util.HexFormat;

/**
 * The Java client's record batch code as a reference for samsa/records. One JSON request per line
 * (see JsonLineLoop); longs travel as decimal strings, bytes as hex, null as null.
 *   {"op":"build","magic":2,"compression":"lz4","level":null,"baseOffset":"0","timestampType":"create",
 *    "producerId":"-1","producerEpoch":-1,"baseSequence":-1,"transactional":false,"partitionLeaderEpoch":-1,
 *    "records":[{"timestamp":"1700000000000","key":"6b","value":"76","headers":[["h","00"]]}]}
 *       -> {"hex": MemoryRecordsBuilder output}
 *   {"op":"read","hex":"..."} -> {"batches":[{...header fields..., "records":[...]}]} after ensureValid()
 *   {"op":"marker","type":"commit","baseOffset":"5","timestamp":"...","partitionLeaderEpoch":0,
 *    "producerId":"9","producerEpoch":1,"coordinatorEpoch":3} -> {"hex": MemoryRecords.withEndTransactionMarker}
 */
public final class RecordsReference {
    private static final HexFormat HEX = HexFormat.of();

    public static void main(String[] args) throws Exception {
        JsonLineLoop.run((request, answer) -> {
            switch (request.get("op").asText()) {
                case "build" -> answer.put("hex", build(request));
                case "read" -> answer.set("batches", read(request.get("hex").asText()));
                case "marker" -> answer.put("hex", marker(request));
                default -> throw new IllegalArgumentException("unknown op " + request.get("op"));
            }
        });
    }

    private static Compression compression(String name, JsonNode level) {
        boolean hasLevel = level != null && !level.isNull();
        return switch (name) {
            case "none" -> Compression.NONE;
            case "gzip" -> hasLevel ? Compression.gzip().level(level.asInt()).build() : Compression.gzip().build();
            case "snappy" -> Compression.snappy().build();
            case "lz4" -> hasLevel ? Compression.lz4().level(level.asInt()).build() : Compression.lz4().build();
            case "zstd" -> hasLevel ? Compression.zstd().level(level.asInt()).build() : Compression.zstd().build();
            default -> throw new IllegalArgumentException("unknown compression " + name);
        };
    }

    private static byte[] bytes(JsonNode node) {
        return node == null || node.isNull() ? null : HEX.parseHex(node.asText());
    }

    private static String hex(ByteBuffer buffer) {
        if (buffer == null) return null;
        byte[] out = new byte[buffer.remaining()];
        buffer.duplicate().get(out);
        return HEX.formatHex(out);
    }

    private static String build(JsonNode request) {
        byte magic = (byte) request.get("magic").asInt();
        TimestampType timestampType = "log-append".equals(request.path("timestampType").asText("create"))
            ? TimestampType.LOG_APPEND_TIME : TimestampType.CREATE_TIME;
        long logAppendTime = request.hasNonNull("logAppendTime") ? Long.parseLong(request.get("logAppendTime").asText()) : -1L;
        MemoryRecordsBuilder builder = MemoryRecords.builder(
            ByteBuffer.allocate(1024),
            magic,
            compression(request.get("compression").asText(), request.get("level")),
            timestampType,
            Long.parseLong(request.get("baseOffset").asText()),
            logAppendTime,
            Long.parseLong(request.get("producerId").asText()),
            (short) request.get("producerEpoch").asInt(),
            request.get("baseSequence").asInt(),
            request.get("transactional").asBoolean(),
            request.get("partitionLeaderEpoch").asInt());
        long offset = Long.parseLong(request.get("baseOffset").asText());
        for (JsonNode record : request.get("records")) {
            JsonNode headerList = record.get("headers");
            Header[] headers = new Header[headerList == null ? 0 : headerList.size()];
            for (int i = 0; i < headers.length; i++) {
                headers[i] = new RecordHeader(headerList.get(i).get(0).asText(), bytes(headerList.get(i).get(1)));
            }
            builder.appendWithOffset(offset++, Long.parseLong(record.get("timestamp").asText()), bytes(record.get("key")),
                bytes(record.get("value")), headers);
        }
        return hex(builder.build().buffer());
    }

    private static ArrayNode read(String hexText) {
        MemoryRecords records = MemoryRecords.readableRecords(ByteBuffer.wrap(HEX.parseHex(hexText)));
        ArrayNode batches = JsonLineLoop.MAPPER.createArrayNode();
        for (MutableRecordBatch batch : records.batches()) {
            batch.ensureValid();
            ObjectNode b = batches.addObject();
            b.put("magic", batch.magic());
            b.put("baseOffset", Long.toString(batch.baseOffset()));
            b.put("lastOffset", Long.toString(batch.lastOffset()));
            b.put("compression", batch.compressionType().name);
            b.put("timestampType", batch.timestampType() == TimestampType.LOG_APPEND_TIME ? "log-append" : "create");
            b.put("maxTimestamp", Long.toString(batch.maxTimestamp()));
            b.put("isControl", batch.isControlBatch());
            b.put("isTransactional", batch.isTransactional());
            b.put("producerId", Long.toString(batch.producerId()));
            b.put("producerEpoch", batch.producerEpoch());
            b.put("baseSequence", batch.baseSequence());
            b.put("partitionLeaderEpoch", batch.partitionLeaderEpoch());
            ArrayNode list = b.putArray("records");
            for (Record record : batch) {
                ObjectNode r = list.addObject();
                r.put("offset", Long.toString(record.offset()));
                r.put("timestamp", Long.toString(record.timestamp()));
                r.put("key", hex(record.key()));
                r.put("value", hex(record.value()));
                ArrayNode headers = r.putArray("headers");
                for (Header header : record.headers()) {
                    ArrayNode pair = headers.addArray();
                    pair.add(header.key());
                    pair.add(header.value() == null ? null : HEX.formatHex(header.value()));
                }
                if (batch.isControlBatch()) {
                    ControlRecordType type = ControlRecordType.parse(record.key());
                    r.put("controlType", type.name());
                    if (type == ControlRecordType.COMMIT || type == ControlRecordType.ABORT) {
                        r.put("coordinatorEpoch", EndTransactionMarker.deserialize(record).coordinatorEpoch());
                    }
                }
            }
        }
        return batches;
    }

    private static String marker(JsonNode request) {
        ControlRecordType type = "commit".equals(request.get("type").asText()) ? ControlRecordType.COMMIT : ControlRecordType.ABORT;
        MemoryRecords records = MemoryRecords.withEndTransactionMarker(
            Long.parseLong(request.get("baseOffset").asText()),
            Long.parseLong(request.get("timestamp").asText()),
            request.get("partitionLeaderEpoch").asInt(),
            Long.parseLong(request.get("producerId").asText()),
            (short) request.get("producerEpoch").asInt(),
            new EndTransactionMarker(type, request.get("coordinatorEpoch").asInt()));
        return hex(records.buffer());
    }
}
