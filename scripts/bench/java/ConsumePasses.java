// The Java client's answer to scripts/bench/consumer.mjs --passes: one JVM reads the same topic several times, a
// fresh group each pass (auto.offset.reset=earliest, no auto-commit, ByteArrayDeserializer, the client's defaults
// otherwise), touching every record's key and value as the Node children do. Each pass is timed from its first
// record to its last, so the group join is left out, as ConsumerPerformance's fetch.* columns leave it out. The
// first pass is a cold JVM (class loading, JIT); the later ones show the client once warmed up.
//
// Arguments: bootstrap topic records passes. Prints one JSON line on stdout: {"passes":[{"ms":..,"bytes":..},..]}.

import java.time.Duration;
import java.util.List;
import java.util.Properties;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public final class ConsumePasses {
    public static void main(String[] args) {
        String bootstrap = args[0];
        String topic = args[1];
        long records = Long.parseLong(args[2]);
        int passes = Integer.parseInt(args[3]);
        StringBuilder out = new StringBuilder("{\"passes\":[");
        for (int pass = 0; pass < passes; pass++) {
            Properties props = new Properties();
            props.put("bootstrap.servers", bootstrap);
            props.put("group.id", "bench-java-passes-" + ProcessHandle.current().pid() + "-" + System.nanoTime() + "-" + pass);
            props.put("auto.offset.reset", "earliest");
            props.put("enable.auto.commit", "false");
            props.put("key.deserializer", ByteArrayDeserializer.class.getName());
            props.put("value.deserializer", ByteArrayDeserializer.class.getName());
            long count = 0;
            long bytes = 0;
            long first = 0;
            long last = 0;
            long deadline = System.nanoTime() + 120_000_000_000L;
            try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
                consumer.subscribe(List.of(topic));
                while (count < records) {
                    if (System.nanoTime() > deadline) throw new IllegalStateException("pass " + pass + " read " + count + " of " + records + " records in 120 s");
                    ConsumerRecords<byte[], byte[]> polled = consumer.poll(Duration.ofMillis(100));
                    for (ConsumerRecord<byte[], byte[]> record : polled) {
                        if (count == 0) first = System.nanoTime();
                        byte[] key = record.key();
                        byte[] value = record.value();
                        bytes += (key == null ? 0 : key.length) + (value == null ? 0 : value.length);
                        if (++count == records) break;
                    }
                }
                last = System.nanoTime();
            }
            if (pass > 0) out.append(',');
            out.append("{\"ms\":").append((last - first) / 1e6).append(",\"bytes\":").append(bytes).append('}');
        }
        System.out.println(out.append("]}"));
    }
}
