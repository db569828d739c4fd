// Prints Kafka's error table (org.apache.kafka.common.protocol.Errors) as JSON, one object per error:
// code, name, whether its exception class is retriable, its exception class and superclasses (simple names, most
// specific first: how the Java client decides what an error makes stale), and the default message.
// Run by scripts/generate/error-codes.mjs with the kafka-clients jar (and its runtime deps) on the class path.
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.protocol.Errors;

public class DumpErrors {
    public static void main(String[] args) {
        StringBuilder out = new StringBuilder("[\n");
        Errors[] all = Errors.values();
        for (int i = 0; i < all.length; i++) {
            Errors e = all[i];
            ApiException ex = e.exception();
            boolean retriable = ex instanceof RetriableException;
            String message = ex == null ? null : ex.getMessage();
            StringBuilder classes = new StringBuilder("[");
            for (Class<?> c = ex == null ? null : ex.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
                if (classes.length() > 1) classes.append(", ");
                classes.append(quote(c.getSimpleName()));
            }
            classes.append("]");
            out.append("  {\"code\": ").append(e.code())
                .append(", \"name\": ").append(quote(e.name()))
                .append(", \"retriable\": ").append(retriable)
                .append(", \"classes\": ").append(classes)
                .append(", \"message\": ").append(message == null ? "null" : quote(message))
                .append(i + 1 < all.length ? "},\n" : "}\n");
        }
        out.append("]\n");
        System.out.print(out);
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }
}
