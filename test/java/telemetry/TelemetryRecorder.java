// A broker-side client telemetry plugin for samsa's KIP-714 tests: loaded through `metric.reporters`, it gives the
// broker a ClientTelemetryExporter (Kafka 4.2+'s interface, KIP-1217), so the broker advertises
// GetTelemetrySubscriptions/PushTelemetry, and writes every push it receives, decoded with the OTLP classes shaded
// into kafka-clients, as one JSON line to the file named by the broker config `samsa.telemetry.file`.
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.FileWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.metrics.KafkaMetric;
import org.apache.kafka.common.metrics.MetricsReporter;
import org.apache.kafka.server.telemetry.ClientTelemetryContext;
import org.apache.kafka.server.telemetry.ClientTelemetryExporter;
import org.apache.kafka.server.telemetry.ClientTelemetryExporterProvider;
import org.apache.kafka.server.telemetry.ClientTelemetryPayload;
import org.apache.kafka.shaded.io.opentelemetry.proto.common.v1.KeyValue;
import org.apache.kafka.shaded.io.opentelemetry.proto.metrics.v1.Metric;
import org.apache.kafka.shaded.io.opentelemetry.proto.metrics.v1.MetricsData;
import org.apache.kafka.shaded.io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import org.apache.kafka.shaded.io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import org.apache.kafka.shaded.io.opentelemetry.proto.metrics.v1.ScopeMetrics;

public class TelemetryRecorder implements MetricsReporter, ClientTelemetryExporterProvider, ClientTelemetryExporter {
  private static final ObjectMapper JSON = new ObjectMapper();
  private volatile String file;

  @Override
  public void configure(Map<String, ?> configs) {
    Object value = configs.get("samsa.telemetry.file");
    file = value == null ? null : value.toString();
  }

  @Override
  public void init(List<KafkaMetric> metrics) {}

  @Override
  public void metricChange(KafkaMetric metric) {}

  @Override
  public void metricRemoval(KafkaMetric metric) {}

  @Override
  public void close() {}

  @Override
  public ClientTelemetryExporter clientTelemetryExporter() {
    return this;
  }

  @Override
  public void exportMetrics(ClientTelemetryContext context, ClientTelemetryPayload payload) {
    ObjectNode line = JSON.createObjectNode();
    line.put("clientInstanceId", payload.clientInstanceId().toString());
    line.put("terminating", payload.isTerminating());
    line.put("contentType", payload.contentType());
    line.put("pushIntervalMs", context.pushIntervalMs());
    line.put("clientId", context.authorizableRequestContext().clientId());
    try {
      ByteBuffer data = payload.data().duplicate();
      line.put("bytes", data.remaining());
      MetricsData decoded = MetricsData.parseFrom(data);
      ObjectNode resource = line.putObject("resource");
      ArrayNode metrics = line.putArray("metrics");
      for (ResourceMetrics rm : decoded.getResourceMetricsList()) {
        for (KeyValue kv : rm.getResource().getAttributesList()) resource.put(kv.getKey(), kv.getValue().getStringValue());
        for (ScopeMetrics sm : rm.getScopeMetricsList()) {
          for (Metric m : sm.getMetricsList()) {
            ObjectNode out = metrics.addObject();
            out.put("name", m.getName());
            List<NumberDataPoint> points;
            if (m.hasSum()) {
              out.put("type", "sum");
              out.put("monotonic", m.getSum().getIsMonotonic());
              out.put("temporality", m.getSum().getAggregationTemporality().name());
              points = m.getSum().getDataPointsList();
            } else if (m.hasGauge()) {
              out.put("type", "gauge");
              points = m.getGauge().getDataPointsList();
            } else {
              out.put("type", "other");
              points = List.of();
            }
            ArrayNode outPoints = out.putArray("points");
            for (NumberDataPoint p : points) {
              ObjectNode point = outPoints.addObject();
              ObjectNode attributes = point.putObject("attributes");
              for (KeyValue kv : p.getAttributesList()) attributes.put(kv.getKey(), kv.getValue().getStringValue());
              point.put("value", p.getValueCase() == NumberDataPoint.ValueCase.AS_INT ? (double) p.getAsInt() : p.getAsDouble());
              point.put("startTimeUnixNano", Long.toUnsignedString(p.getStartTimeUnixNano()));
              point.put("timeUnixNano", Long.toUnsignedString(p.getTimeUnixNano()));
            }
          }
        }
      }
    } catch (Exception e) {
      line.put("decodeError", e.toString());
    }
    write(line);
  }

  private synchronized void write(ObjectNode line) {
    if (file == null) return;
    try (FileWriter writer = new FileWriter(file, true)) {
      writer.write(JSON.writeValueAsString(line));
      writer.write('\n');
    } catch (IOException e) {
      throw new RuntimeException(e);
    }
  }
}
