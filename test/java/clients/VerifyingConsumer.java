import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The Java client's view of a topic, for tests that check what samsa wrote: assigns every partition (no group),
 * reads from the beginning up to the end offsets captured at start (with read_committed those are last stable
 * offsets), and prints one JSON line per record, then a summary line, then exits 0.
 *
 * Usage: VerifyingConsumer <bootstrap> <topic> <read_committed|read_uncommitted> [timeoutMs]
 *
 * Record line: {"partition":0,"offset":5,"timestamp":1700000000000,"timestampType":"CreateTime",
 *               "key":"<base64>"|null,"value":"<base64>"|null,"headers":[["k","<base64>"|null],...],
 *               "leaderEpoch":3|null}
 * Summary line: {"done":true,"records":N,"endOffsets":{"0":12,...},"beginningOffsets":{"0":0,...}}
 *
 * Bytes travel as base64 so that arbitrary keys, values and header values (and the difference between null and
 * empty) survive exactly. A failure or a timeout prints the reason on stderr and exits non-zero: a silent partial
 * read would let a test pass on missing data.
 */
public final class VerifyingConsumer {
    private VerifyingConsumer() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: VerifyingConsumer <bootstrap> <topic> <read_committed|read_uncommitted> [timeoutMs]");
            System.exit(2);
        }
        String bootstrap = args[0];
        String topic = args[1];
        String isolation = args[2];
        if (!isolation.equals("read_committed") && !isolation.equals("read_uncommitted")) {
            System.err.println("isolation level must be read_committed or read_uncommitted, got " + isolation);
            System.exit(2);
        }
        long timeoutMs = args.length > 3 ? Long.parseLong(args[3]) : 120_000L;
        long deadline = System.currentTimeMillis() + timeoutMs;

        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "samsa-verifying-consumer");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        // Every record's CRC is checked by the Java client: a corrupt batch from samsa fails the read.
        props.put(ConsumerConfig.CHECK_CRCS_CONFIG, "true");

        Base64.Encoder base64 = Base64.getEncoder();
        OutputStream out = new BufferedOutputStream(System.out, 1 << 16);
        JsonGenerator json = new JsonFactory().createGenerator(out, JsonEncoding.UTF8);
        json.setRootValueSeparator(null);
        long count = 0;
        long polls = 0;
        long returned = 0;

        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofMillis(Math.max(1, deadline - System.currentTimeMillis())));
            if (infos == null || infos.isEmpty()) throw new IllegalStateException("topic " + topic + " has no partitions (does it exist?)");
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo info : infos) partitions.add(new TopicPartition(topic, info.partition()));
            partitions.sort((a, b) -> Integer.compare(a.partition(), b.partition()));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> beginning = consumer.beginningOffsets(partitions, Duration.ofMillis(Math.max(1, deadline - System.currentTimeMillis())));
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofMillis(Math.max(1, deadline - System.currentTimeMillis())));

            // Explicit seeks rather than seekToBeginning's lazy reset: the start is the offset just looked up.
            for (TopicPartition tp : partitions) consumer.seek(tp, beginning.get(tp));
            // A short account on stderr, which the TS side attaches to failures.
            StringBuilder account = new StringBuilder("VerifyingConsumer ").append(topic).append(' ').append(isolation).append(" start/end:");
            for (TopicPartition tp : partitions) account.append(' ').append(tp.partition()).append(':').append(consumer.position(tp)).append('/').append(end.get(tp));
            System.err.println(account);

            Map<TopicPartition, Boolean> finished = new HashMap<>();
            for (TopicPartition tp : partitions) {
                boolean empty = consumer.position(tp) >= end.get(tp);
                finished.put(tp, empty);
                if (empty) consumer.pause(List.of(tp));
            }
            while (finished.containsValue(false)) {
                if (System.currentTimeMillis() > deadline) {
                    StringBuilder state = new StringBuilder();
                    for (TopicPartition tp : partitions) {
                        state.append(' ').append(tp.partition()).append(':').append(consumer.position(tp)).append('/').append(end.get(tp));
                    }
                    throw new IllegalStateException("timed out after " + timeoutMs + " ms; position/end per partition:" + state);
                }
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
                polls++;
                returned += records.count();
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    TopicPartition tp = new TopicPartition(record.topic(), record.partition());
                    // Records past the captured end were written after the read started: not part of this snapshot.
                    if (record.offset() >= end.get(tp)) continue;
                    json.writeStartObject();
                    json.writeNumberField("partition", record.partition());
                    json.writeNumberField("offset", record.offset());
                    json.writeNumberField("timestamp", record.timestamp());
                    json.writeStringField("timestampType", record.timestampType().name);
                    writeBytes(json, "key", record.key(), base64);
                    writeBytes(json, "value", record.value(), base64);
                    json.writeArrayFieldStart("headers");
                    for (Header header : record.headers()) {
                        json.writeStartArray();
                        json.writeString(header.key());
                        if (header.value() == null) json.writeNull();
                        else json.writeString(base64.encodeToString(header.value()));
                        json.writeEndArray();
                    }
                    json.writeEndArray();
                    if (record.leaderEpoch().isPresent()) json.writeNumberField("leaderEpoch", record.leaderEpoch().get());
                    else json.writeNullField("leaderEpoch");
                    json.writeEndObject();
                    json.writeRaw('\n');
                    count++;
                }
                for (TopicPartition tp : partitions) {
                    if (!finished.get(tp) && consumer.position(tp) >= end.get(tp)) {
                        finished.put(tp, true);
                        consumer.pause(List.of(tp));
                    }
                }
            }

            System.err.println("VerifyingConsumer " + topic + ": " + polls + " polls returned " + returned + " records, " + count + " below the end offsets");
            json.writeStartObject();
            json.writeBooleanField("done", true);
            json.writeNumberField("records", count);
            json.writeObjectFieldStart("endOffsets");
            for (TopicPartition tp : partitions) json.writeNumberField(String.valueOf(tp.partition()), end.get(tp));
            json.writeEndObject();
            json.writeObjectFieldStart("beginningOffsets");
            for (TopicPartition tp : partitions) json.writeNumberField(String.valueOf(tp.partition()), beginning.get(tp));
            json.writeEndObject();
            json.writeEndObject();
            json.writeRaw('\n');
            json.flush();
        } catch (Throwable t) {
            json.flush();
            System.err.println("VerifyingConsumer failed: " + t);
            t.printStackTrace(System.err);
            System.exit(1);
        }
        System.exit(0);
    }

    private static void writeBytes(JsonGenerator json, String field, byte[] bytes, Base64.Encoder base64) throws Exception {
        if (bytes == null) json.writeNullField(field);
        else json.writeStringField(field, base64.encodeToString(bytes));
    }
}
