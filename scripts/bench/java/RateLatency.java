// Produce-to-consume latency of the Java client at a fixed rate, for scripts/bench/latency.mjs. The same schedule
// and measurement as the Node children there (see that script's header):
//
// - a producer (acks=all, linger.ms=0, defaults otherwise) and a group consumer (auto.offset.reset=latest, no
//   auto-commit, fetch.max.wait.ms from the arguments) in one JVM, so one clock (System.nanoTime) for both ends;
// - ready first: a probe record to every partition every 250 ms until the consumer has seen one from each;
// - an open-loop schedule: record i is due at start + i / rate. A sender thread wakes every millisecond and sends
//   every record that is due by then, each carrying its scheduled time, so a slow send or a stall delays the records
//   behind it (and their latency shows it) instead of delaying the schedule;
// - latency = time the consumer got the record - its scheduled time; the first warm-up seconds are not counted;
// - achieved rate = measured records received / (last arrival - first measured scheduled time);
// - percentiles by nearest rank over every sample (sorted), like the Node side.
//
// Value layout (big-endian): [0..8) scheduled time in ns, [8..12) sequence number, [12] phase (0 probe, 1 warm-up,
// 2 measured), [13..21) the time the value was handed to send() in ns, then filler up to the value size.
//
// Arguments: bootstrap topic partitions rate warmupSeconds durationSeconds valueSize fetchMaxWaitMs drainSeconds.
// Prints one JSON line on stdout.

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public final class RateLatency {
    private static final byte PROBE = 0;
    private static final byte WARMUP = 1;
    private static final byte MEASURED = 2;

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        String topic = args[1];
        int partitions = Integer.parseInt(args[2]);
        double rate = Double.parseDouble(args[3]);
        double warmupSeconds = Double.parseDouble(args[4]);
        double durationSeconds = Double.parseDouble(args[5]);
        int valueSize = Integer.parseInt(args[6]);
        int fetchMaxWaitMs = Integer.parseInt(args[7]);
        double drainSeconds = Double.parseDouble(args[8]);

        int warmupCount = (int) Math.round(rate * warmupSeconds);
        int measuredCount = (int) Math.round(rate * durationSeconds);
        int total = warmupCount + measuredCount;

        Properties producerProps = new Properties();
        producerProps.put("bootstrap.servers", bootstrap);
        producerProps.put("acks", "all");
        producerProps.put("linger.ms", "0");
        producerProps.put("client.id", "bench-latency-java");
        producerProps.put("key.serializer", ByteArraySerializer.class.getName());
        producerProps.put("value.serializer", ByteArraySerializer.class.getName());

        Properties consumerProps = new Properties();
        consumerProps.put("bootstrap.servers", bootstrap);
        consumerProps.put("group.id", "bench-latency-java-" + ProcessHandle.current().pid() + "-" + System.currentTimeMillis());
        consumerProps.put("auto.offset.reset", "latest");
        consumerProps.put("enable.auto.commit", "false");
        consumerProps.put("fetch.max.wait.ms", String.valueOf(fetchMaxWaitMs));
        consumerProps.put("client.id", "bench-latency-java-consumer");
        consumerProps.put("key.deserializer", ByteArrayDeserializer.class.getName());
        consumerProps.put("value.deserializer", ByteArrayDeserializer.class.getName());

        double[] latencyMs = new double[measuredCount];
        double[] fromSendMs = new double[measuredCount];
        byte[] seen = new byte[total];
        AtomicIntegerArray probed = new AtomicIntegerArray(partitions);
        AtomicLong received = new AtomicLong();
        AtomicLong duplicates = new AtomicLong();
        AtomicLong sendErrors = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong lastMeasuredReceive = new AtomicLong();

        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps);
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps);

        Thread consumerThread = new Thread(() -> {
            consumer.subscribe(List.of(topic));
            while (!stop.get()) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
                long now = System.nanoTime();
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    ByteBuffer value = ByteBuffer.wrap(record.value());
                    long scheduled = value.getLong(0);
                    int seq = value.getInt(8);
                    byte phase = value.get(12);
                    if (phase == PROBE) {
                        probed.set(record.partition(), 1);
                        continue;
                    }
                    synchronized (seen) {
                        if (seen[seq] != 0) {
                            duplicates.incrementAndGet();
                            continue;
                        }
                        seen[seq] = 1;
                        if (phase == MEASURED) {
                            latencyMs[seq - warmupCount] = (now - scheduled) / 1e6;
                            fromSendMs[seq - warmupCount] = (now - value.getLong(13)) / 1e6;
                            lastMeasuredReceive.set(now);
                        }
                    }
                    received.incrementAndGet();
                }
            }
            consumer.close();
        }, "bench-consumer");
        consumerThread.start();

        byte[] filler = new byte[valueSize];
        Arrays.fill(filler, (byte) 'x');

        // Ready: every partition has delivered a probe.
        long readyStart = System.nanoTime();
        for (;;) {
            boolean all = true;
            for (int p = 0; p < partitions; p++) if (probed.get(p) == 0) all = false;
            if (all) break;
            if (System.nanoTime() - readyStart > 120_000_000_000L) throw new IllegalStateException("consumer not ready after 120 s");
            for (int p = 0; p < partitions; p++) {
                if (probed.get(p) != 0) continue;
                producer.send(new ProducerRecord<>(topic, p, null, value(filler, System.nanoTime(), p, PROBE)));
            }
            Thread.sleep(250);
        }
        double readyMs = (System.nanoTime() - readyStart) / 1e6;

        // The schedule.
        double intervalNs = 1e9 / rate;
        long start = System.nanoTime() + 1_000_000L;
        long measuredStart = start + (long) (warmupCount * intervalNs);
        int sent = 0;
        while (sent < total) {
            long now = System.nanoTime();
            int due = (int) Math.min(total, Math.floor((now - start) / intervalNs) + 1);
            while (sent < due) {
                long scheduled = start + (long) (sent * intervalNs);
                byte phase = sent < warmupCount ? WARMUP : MEASURED;
                producer.send(new ProducerRecord<>(topic, null, value(filler, scheduled, sent, phase)), (metadata, error) -> {
                    if (error != null) sendErrors.incrementAndGet();
                });
                sent++;
            }
            if (sent < total) LockSupport.parkNanos(1_000_000L);
        }
        producer.flush();

        // Drain: until every record arrived, or nothing new came for drainSeconds.
        long lastCount = -1;
        long lastProgress = System.nanoTime();
        while (received.get() < total) {
            long count = received.get();
            if (count != lastCount) {
                lastCount = count;
                lastProgress = System.nanoTime();
            } else if (System.nanoTime() - lastProgress > (long) (drainSeconds * 1e9)) break;
            Thread.sleep(20);
        }
        stop.set(true);
        consumerThread.join(10_000);
        producer.close(Duration.ofSeconds(10));

        int measuredReceived = 0;
        for (int i = warmupCount; i < total; i++) if (seen[i] != 0) measuredReceived++;
        double[] samples = new double[measuredReceived];
        int n = 0;
        double[] fromSendSamples = new double[measuredReceived];
        for (int i = warmupCount; i < total; i++) {
            if (seen[i] == 0) continue;
            fromSendSamples[n] = fromSendMs[i - warmupCount];
            samples[n++] = latencyMs[i - warmupCount];
        }
        Arrays.sort(samples);
        Arrays.sort(fromSendSamples);
        double sum = 0;
        for (double s : samples) sum += s;

        // Delivered rate: measured records received per second, from the first one's scheduled time to the last arrival.
        long deliveredSpan = lastMeasuredReceive.get() - measuredStart;
        double achieved = deliveredSpan > 0 ? measuredReceived / (deliveredSpan / 1e9) : Double.NaN;
        StringBuilder out = new StringBuilder("{");
        out.append("\"client\":\"java\"");
        out.append(",\"readyMs\":").append(readyMs);
        out.append(",\"sent\":").append(total);
        out.append(",\"measured\":").append(measuredCount);
        out.append(",\"received\":").append(received.get());
        out.append(",\"measuredReceived\":").append(measuredReceived);
        out.append(",\"missing\":").append(total - received.get());
        out.append(",\"duplicates\":").append(duplicates.get());
        out.append(",\"sendErrors\":").append(sendErrors.get());
        out.append(",\"achievedRate\":").append(achieved);
        out.append(",\"meanMs\":").append(samples.length > 0 ? sum / samples.length : Double.NaN);
        out.append(",\"p50Ms\":").append(percentile(samples, 0.50));
        out.append(",\"p99Ms\":").append(percentile(samples, 0.99));
        out.append(",\"p999Ms\":").append(percentile(samples, 0.999));
        out.append(",\"maxMs\":").append(samples.length > 0 ? samples[samples.length - 1] : Double.NaN);
        out.append(",\"fromSend\":{\"p50Ms\":").append(percentile(fromSendSamples, 0.50));
        out.append(",\"p99Ms\":").append(percentile(fromSendSamples, 0.99)).append("}");
        out.append("}");
        System.out.println(out.toString().replace("NaN", "null"));
        System.exit(0);
    }

    private static byte[] value(byte[] filler, long scheduled, int seq, byte phase) {
        byte[] bytes = filler.clone();
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        buffer.putLong(0, scheduled);
        buffer.putInt(8, seq);
        buffer.put(12, phase);
        buffer.putLong(13, System.nanoTime());
        return bytes;
    }

    /** Nearest rank: the smallest sample with at least p of all samples at or below it. */
    private static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) return Double.NaN;
        int rank = (int) Math.ceil(p * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length, rank) - 1)];
    }
}
