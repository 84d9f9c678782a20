import java.util.List;
import java.util.Map;

/** A raw HTTP answer: status, headers (names as the server sent them), body as text. */
public record Resp(int status, Map<String, List<String>> headers, String body) {
  /** The first value of header {@code name} (case-insensitive), or null. */
  public String header(String name) {
    for (Map.Entry<String, List<String>> e : headers.entrySet()) {
      if (e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty()) {
        return e.getValue().get(0);
      }
    }
    return null;
  }
}
