import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Base64;
import java.util.Properties;

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
                default:
                    throw new IllegalArgumentException("unknown op " + op);
            }
        });
    }
}
