import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Base64;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Long-lived JVM (over JsonLineLoop) that answers questions about the Java client's own decisions, so tests can
 * compare samsa's choices with Java's instead of with hard-coded expectations.
 *
 * Ops:
 *   {"op":"partitionForKey","keys":["<base64>",...],"partitionCounts":[1,3,...]}
 *     -> {"partitions":[[p for count 0 of key 0, p for count 1 of key 0, ...], ...]}  (one row per key)
 *     The keyed placement of the Java producer's default partitioning (BuiltInPartitioner.partitionForKey).
 *   {"op":"produceUnkeyed","bootstrap":"host:port","topic":"t","count":300,"valueBytes":1000,"lingerMs":5,"batchSize":16384}
 *     -> {"partitions":[p of record 0, p of record 1, ...]}
 *     Sends `count` unkeyed records one at a time (each send waited for, as a low-rate application does) with the
 *     default partitioner and reports where each landed: the unkeyed placement (KIP-794) to compare with.
 *   {"op":"produceUnkeyedBurst","bootstrap":"host:port","topic":"t","count":30000,"valueBytes":1024,"lingerMs":5,
 *    "batchSize":16384,"acks":"all","adaptive":true,"availabilityTimeoutMs":0,"recordsPerSecond":5000}
 *     -> {"partitions":[p of record 0, ...],"elapsedMs":6012}
 *     Sends `count` unkeyed records without waiting for any (at `recordsPerSecond` when above 0, else as fast as
 *     send() returns), then flushes; reports where each landed (-1 for a failed send) and how long it took. Adaptive
 *     partitioning (partitioner.adaptive.partitioning.enable, partitioner.availability.timeout.ms) to compare with.
 */
public final class ClientReference {
    private ClientReference() {}

    public static void main(String[] args) throws Exception {
        Base64.Decoder base64 = Base64.getDecoder();
        JsonLineLoop.run((request, answer) -> {
            String op = request.path("op").asText();
            switch (op) {
                case "partitionForKey": {
                    JsonNode counts = request.get("partitionCounts");
                    ArrayNode rows = answer.putArray("partitions");
                    for (JsonNode key : request.get("keys")) {
                        byte[] bytes = base64.decode(key.asText());
                        ArrayNode row = rows.addArray();
                        for (JsonNode count : counts) row.add(BuiltInPartitioner.partitionForKey(bytes, count.asInt()));
                    }
                    break;
                }
                case "produceUnkeyed": {
                    Properties props = new Properties();
                    props.put("bootstrap.servers", request.get("bootstrap").asText());
                    props.put("linger.ms", request.get("lingerMs").asText());
                    props.put("batch.size", request.get("batchSize").asText());
                    props.put("key.serializer", ByteArraySerializer.class.getName());
                    props.put("value.serializer", ByteArraySerializer.class.getName());
                    String topic = request.get("topic").asText();
                    byte[] value = new byte[request.get("valueBytes").asInt()];
                    ArrayNode partitions = answer.putArray("partitions");
                    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
                        int count = request.get("count").asInt();
                        for (int i = 0; i < count; i++) {
                            RecordMetadata metadata = producer.send(new ProducerRecord<>(topic, null, value)).get();
                            partitions.add(metadata.partition());
                        }
                    }
                    break;
                }
                case "produceUnkeyedBurst": {
                    Properties props = new Properties();
                    props.put("bootstrap.servers", request.get("bootstrap").asText());
                    props.put("linger.ms", request.get("lingerMs").asText());
                    props.put("batch.size", request.get("batchSize").asText());
                    props.put("acks", request.get("acks").asText());
                    props.put("partitioner.adaptive.partitioning.enable", request.get("adaptive").asText());
                    props.put("partitioner.availability.timeout.ms", request.get("availabilityTimeoutMs").asText());
                    props.put("key.serializer", ByteArraySerializer.class.getName());
                    props.put("value.serializer", ByteArraySerializer.class.getName());
                    String topic = request.get("topic").asText();
                    byte[] value = new byte[request.get("valueBytes").asInt()];
                    int count = request.get("count").asInt();
                    double perSecond = request.path("recordsPerSecond").asDouble(0);
                    int[] landed = new int[count];
                    AtomicInteger failed = new AtomicInteger();
                    AtomicReference<Exception> firstFailure = new AtomicReference<>();
                    long started = System.nanoTime();
                    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
                        // Metadata first, as the samsa side has it before its clock starts.
                        producer.partitionsFor(topic);
                        started = System.nanoTime();
                        for (int i = 0; i < count; i++) {
                            if (perSecond > 0) {
                                long due = started + (long) (i * 1e9 / perSecond);
                                long waitNanos = due - System.nanoTime();
                                if (waitNanos >= 1_000_000) Thread.sleep(waitNanos / 1_000_000);
                            }
                            final int index = i;
                            Callback callback = (metadata, exception) -> {
                                if (exception != null) {
                                    landed[index] = -1;
                                    failed.incrementAndGet();
                                    firstFailure.compareAndSet(null, exception);
                                } else {
                                    landed[index] = metadata.partition();
                                }
                            };
                            producer.send(new ProducerRecord<>(topic, null, value), callback);
                        }
                        producer.flush();
                    }
                    long elapsedMs = (System.nanoTime() - started) / 1_000_000;
                    if (failed.get() > 0) {
                        throw new IllegalStateException(failed.get() + " of " + count + " sends failed", firstFailure.get());
                    }
                    ArrayNode partitions = answer.putArray("partitions");
                    for (int partition : landed) partitions.add(partition);
                    answer.put("elapsedMs", elapsedMs);
                    break;
                }
                default:
                    throw new IllegalArgumentException("unknown op " + op);
            }
        });
    }
}
