import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.common.message.ApiMessageType;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Message;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.common.protocol.Readable;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.ResponseHeader;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Kafka's own serializer as a reference for samsa's generated codecs. Requests (one JSON per line):
 *   {"id":1,"op":"encode","message":"MetadataRequest","version":12,"json":{...}}  -> {"id":1,"ok":true,"hex":"..."}
 *   {"id":2,"op":"decode","message":"MetadataRequest","version":12,"hex":"..."}
 *       -> {"id":2,"ok":true,"json":{...},"remaining":0,"hex":"<what was read, written again>"}
 *   {"op":"apis"} -> {"apis":[{apiKey,name,minVersion,maxVersion,latestVersionUnstable,listeners,
 *                              requestHeaderVersions,responseHeaderVersions}]}   (from ApiKeys / ApiMessageType)
 *   {"op":"requestFrame","message":"FetchRequest","version":v,"apiKey":1,"correlationId":7,"clientId":"c","json":{..}}
 *       -> size-prefixed frame with the RequestHeader the Java client builds for that version
 *   {"op":"responseFrame","message":"FetchResponse","version":v,"apiKey":1,"correlationId":7,"json":{..}}
 *       -> ResponseHeader + body, without the size prefix
 * "json" is the generated {Name}DataJsonConverter representation; "hex" is the message body only (no size prefix,
 * no header), exactly what {Name}Data.write produces.
 */
public final class ProtocolReference {
    private static final String PACKAGE = "org.apache.kafka.common.message.";
    private static final HexFormat HEX = HexFormat.of();

    private record Codec(Method fromJson, Method toJson, Constructor<?> fromBytes) {}

    private static final Map<String, Codec> CODECS = new ConcurrentHashMap<>();

    /** Requests, responses and headers get a "Data" suffix; "data" schemas keep their own name. */
    private static Class<?> dataClass(String message) throws ClassNotFoundException {
        try {
            return Class.forName(PACKAGE + message + "Data");
        } catch (ClassNotFoundException suffixless) {
            return Class.forName(PACKAGE + message);
        }
    }

    private static Codec codec(String message) throws Exception {
        Codec known = CODECS.get(message);
        if (known != null) return known;
        // The name becomes part of a class name: refuse anything that could reach outside the message package.
        if (!message.matches("[A-Z][A-Za-z0-9]*")) throw new IllegalArgumentException("bad message name " + message);
        Class<?> data = dataClass(message);
        Class<?> converter = Class.forName(data.getName() + "JsonConverter");
        Codec created = new Codec(
            converter.getMethod("read", JsonNode.class, short.class),
            converter.getMethod("write", data, short.class, boolean.class),
            data.getConstructor(Readable.class, short.class));
        CODECS.put(message, created);
        return created;
    }

    private static byte[] encode(Message data, short version) {
        ObjectSerializationCache cache = new ObjectSerializationCache();
        ByteBuffer buffer = ByteBuffer.allocate(data.size(cache, version));
        data.write(new ByteBufferAccessor(buffer), cache, version);
        if (buffer.hasRemaining()) throw new IllegalStateException("size() promised more bytes than write() wrote");
        return buffer.array();
    }

    private static void handle(JsonNode request, ObjectNode answer) throws Exception {
        String op = request.path("op").asText();
        String message = request.path("message").asText();
        short version = (short) request.path("version").asInt();
        Codec codec = op.equals("apis") ? null : codec(message);
        switch (op) {
            case "encode": {
                Message data = (Message) codec.fromJson.invoke(null, request.get("json"), version);
                answer.put("hex", HEX.formatHex(encode(data, version)));
                break;
            }
            case "decode": {
                ByteBuffer buffer = ByteBuffer.wrap(HEX.parseHex(request.path("hex").asText()));
                Message data = (Message) codec.fromBytes.newInstance(new ByteBufferAccessor(buffer), version);
                answer.set("json", (JsonNode) codec.toJson.invoke(null, data, version, true));
                answer.put("remaining", buffer.remaining());
                // The JSON converter writes records as an empty string, so record contents (and anything else the
                // JSON cannot show) are checked by writing back what was read.
                answer.put("hex", HEX.formatHex(encode(data, version)));
                break;
            }
            case "apis": {
                ArrayNode list = answer.putArray("apis");
                for (ApiKeys key : ApiKeys.values()) {
                    ObjectNode api = list.addObject();
                    api.put("apiKey", key.id);
                    api.put("name", key.name);
                    api.put("hasValidVersion", key.hasValidVersion());
                    if (!key.hasValidVersion()) continue;
                    ApiMessageType type = ApiMessageType.fromApiKey(key.id);
                    api.put("minVersion", key.oldestVersion());
                    api.put("maxVersion", type.highestSupportedVersion(true));
                    api.put("latestVersionUnstable", type.latestVersionUnstable());
                    ArrayNode listeners = api.putArray("listeners");
                    for (ApiMessageType.ListenerType listener : type.listeners()) listeners.add(listener.name());
                    ArrayNode requestHeaders = api.putArray("requestHeaderVersions");
                    ArrayNode responseHeaders = api.putArray("responseHeaderVersions");
                    for (short v = key.oldestVersion(); v <= type.highestSupportedVersion(true); v++) {
                        requestHeaders.add(key.requestHeaderVersion(v));
                        responseHeaders.add(key.responseHeaderVersion(v));
                    }
                }
                break;
            }
            case "requestFrame": {
                // The header the Java client itself would build for this API version, then the body.
                ApiKeys key = ApiKeys.forId(request.path("apiKey").asInt());
                String clientId = request.path("clientId").isNull() ? null : request.path("clientId").asText();
                RequestHeader header = new RequestHeader(key, version, clientId, request.path("correlationId").asInt());
                Message body = (Message) codec.fromJson.invoke(null, request.get("json"), version);
                byte[] headerBytes = encode(header.data(), header.headerVersion());
                byte[] bodyBytes = encode(body, version);
                ByteBuffer frame = ByteBuffer.allocate(4 + headerBytes.length + bodyBytes.length);
                frame.putInt(headerBytes.length + bodyBytes.length).put(headerBytes).put(bodyBytes);
                answer.put("hex", HEX.formatHex(frame.array()));
                break;
            }
            case "responseFrame": {
                // Without the size prefix, as the network layer hands frames to the decoder.
                ApiKeys key = ApiKeys.forId(request.path("apiKey").asInt());
                ResponseHeader header = new ResponseHeader(request.path("correlationId").asInt(), key.responseHeaderVersion(version));
                Message body = (Message) codec.fromJson.invoke(null, request.get("json"), version);
                byte[] headerBytes = encode(header.data(), header.headerVersion());
                byte[] bodyBytes = encode(body, version);
                answer.put("hex", HEX.formatHex(headerBytes) + HEX.formatHex(bodyBytes));
                break;
            }
            default:
                throw new IllegalArgumentException("unknown op " + op);
        }
    }

    public static void main(String[] args) throws Exception {
        JsonLineLoop.run(ProtocolReference::handle);
    }
}
