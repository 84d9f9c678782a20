import com.github.tomakehurst.wiremock.client.HttpAdminClient;
import com.github.tomakehurst.wiremock.client.WireMock;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** One server under test: the official client bound to it, its base URL, and an upstream partner server. */
public final class Ctx {
  /** The official client bound to the server under test. */
  public final WireMock wm;
  /** The server under test: {@code http://127.0.0.1:PORT}. */
  public final String base;
  /** A third server (a reference WireMock), usable as a proxy target or partner API. */
  public final String upstream;
  /** The official client bound to {@link #upstream}. */
  public final WireMock upstreamWm;
  /** The client's admin API of the server under test ({@code resetAll} and the calls WireMock has no method for). */
  public final HttpAdminClient admin;
  /** The admin API of {@link #upstream}. */
  public final HttpAdminClient upstreamAdmin;

  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();

  public Ctx(String base, String upstream) {
    this.base = base;
    this.upstream = upstream;
    this.admin = admin(base);
    this.upstreamAdmin = admin(upstream);
    this.wm = new WireMock(admin);
    this.upstreamWm = new WireMock(upstreamAdmin);
  }

  private static HttpAdminClient admin(String url) {
    URI u = URI.create(url);
    return new HttpAdminClient(u.getHost(), u.getPort());
  }

  /** A raw request to {@link #base} + path; a null body sends none. */
  public Resp http(String method, String path, Map<String, String> headers, String body)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(30))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (headers != null) {
      headers.forEach(b::header);
    }
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Resp(r.statusCode(), r.headers().map(), r.body());
  }

  /** {@link #http} without headers or body. */
  public Resp http(String method, String path) throws Exception {
    return http(method, path, Map.of(), null);
  }
}
