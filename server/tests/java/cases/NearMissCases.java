import static com.github.tomakehurst.wiremock.client.WireMock.*;

import com.github.tomakehurst.wiremock.client.VerificationException;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import com.github.tomakehurst.wiremock.verification.NearMiss;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Near misses through the Java client: which stub or request came closest, and how close. */
public final class NearMissCases {
  private static void stubs(Ctx c) throws Exception {
    c.wm.register(get(urlPathEqualTo("/users")).withHeader("X-A", equalTo("abc"))
        .withQueryParam("q", havingExactly("1", "2")).willReturn(ok()));
    c.wm.register(post(urlPathTemplate("/items/{id}")).withPathParam("id", equalTo("7")).willReturn(ok()));
  }

  /** Each near miss as "stub or pattern URL: distance" (distance to 6 places). */
  private static List<Object> shown(List<NearMiss> misses) {
    List<Object> out = new ArrayList<>();
    for (NearMiss m : misses) {
      String what = m.getStubMapping() != null
          ? String.valueOf(m.getStubMapping().getRequest().getUrlMatcher())
          : m.getRequest().getMethod() + " " + m.getRequest().getUrl();
      out.add(what + ": " + String.format("%.6f", m.getMatchResult().getDistance()));
    }
    return out;
  }

  public static List<Case> all() {
    return List.of(
        new Case(
            "near_misses_for_all_unmatched_requests",
            c -> {
              stubs(c);
              c.http("GET", "/users?q=3", Map.of("X-A", "abd"), null);
              return shown(c.wm.findNearMissesForAllUnmatchedRequests());
            }),
        new Case(
            "near_misses_for_a_logged_request",
            c -> {
              stubs(c);
              c.http("GET", "/users?q=1", Map.of("X-A", "abd"), null);
              LoggedRequest r = c.wm.find(anyRequestedFor(anyUrl())).get(0);
              return shown(c.wm.findTopNearMissesFor(r));
            }),
        new Case(
            "near_misses_for_a_request_pattern",
            c -> {
              stubs(c);
              c.http("GET", "/users?q=3", Map.of("X-A", "abd"), null);
              c.http("POST", "/items/8", Map.of(), "x");
              return shown(c.wm.findAllNearMissesFor(getRequestedFor(urlEqualTo("/userz"))));
            }),
        new Case(
            "a_failed_verify_of_a_request_never_made_throws_a_verification_exception",
            c -> {
              stubs(c);
              c.http("GET", "/users?q=3", Map.of("X-A", "abd"), null);
              try {
                c.wm.verifyThat(getRequestedFor(urlPathEqualTo("/users")).withHeader("X-A", equalTo("abc")));
                return "verified";
              } catch (VerificationException e) {
                return "VerificationException";
              }
            }));
  }
}
