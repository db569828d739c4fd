import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Base64;

import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;

/**
 * Long-lived JVM (over JsonLineLoop) that answers questions about the Java client's own decisions, so tests can
 * compare samsa's choices with Java's instead of with hard-coded expectations.
 *
 * Ops:
 *   {"op":"partitionForKey","keys":["<base64>",...],"partitionCounts":[1,3,...]}
 *     -> {"partitions":[[p for count 0 of key 0, p for count 1 of key 0, ...], ...]}  (one row per key)
 *     The keyed placement of the Java producer's default partitioning (BuiltInPartitioner.partitionForKey).
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
                default:
                    throw new IllegalArgumentException("unknown op " + op);
            }
        });
    }
}
