import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;

/**
 * The reusable half of every golden-test JVM: reads one JSON request per stdin line and writes one JSON answer per
 * stdout line, in order, echoing the request's "id". A handler failure becomes {"ok":false,"error":...} so one bad
 * case never ends the process; only end of input does.
 *
 * Non-finite doubles travel as bare NaN/Infinity tokens (both directions) because the TS side parses numbers
 * losslessly itself and Kafka's float64 fields can hold them.
 */
public final class JsonLineLoop {
    public interface Handler {
        /** Fills {@code answer} (which already carries "id" and "ok": true) from {@code request}. */
        void handle(JsonNode request, ObjectNode answer) throws Exception;
    }

    public static final ObjectMapper MAPPER = JsonMapper.builder()
        .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
        .disable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
        .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET)
        .build();

    private JsonLineLoop() {}

    public static void run(Handler handler) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8), 1 << 16);
        BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16);
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) continue;
            ObjectNode answer = MAPPER.createObjectNode();
            try {
                JsonNode request = MAPPER.readTree(line);
                answer.set("id", request.get("id"));
                answer.put("ok", true);
                handler.handle(request, answer);
            } catch (Throwable t) {
                ObjectNode failure = MAPPER.createObjectNode();
                failure.set("id", answer.get("id"));
                failure.put("ok", false);
                failure.put("error", describe(t));
                answer = failure;
            }
            out.write(MAPPER.writeValueAsString(answer));
            out.write('\n');
            // Flushing only when no more input is waiting batches answers when the caller pipelines many requests,
            // yet never leaves a lone request unanswered.
            if (!in.ready()) out.flush();
        }
        out.flush();
    }

    private static String describe(Throwable t) {
        Throwable root = t;
        while (root instanceof java.lang.reflect.InvocationTargetException && root.getCause() != null) root = root.getCause();
        StringWriter trace = new StringWriter();
        root.printStackTrace(new PrintWriter(trace));
        String[] lines = trace.toString().split("\n");
        StringBuilder shortTrace = new StringBuilder();
        for (int i = 0; i < Math.min(lines.length, 3); i++) shortTrace.append(i == 0 ? "" : " | ").append(lines[i].trim());
        return shortTrace.toString();
    }
}
