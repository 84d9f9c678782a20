import static com.github.tomakehurst.wiremock.client.WireMock.*;

import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** verify, find and the journal's removal calls. */
public final class VerifyCases {
  private static List<Object> urls(List<LoggedRequest> rs) {
    List<Object> out = new ArrayList<>();
    for (LoggedRequest r : rs) {
      out.add(r.getMethod() + " " + r.getUrl());
    }
    return out;
  }

  private static List<Object> eventUrls(List<ServeEvent> es) {
    List<Object> out = new ArrayList<>();
    for (ServeEvent e : es) {
      out.add(e.getRequest().getMethod() + " " + e.getRequest().getUrl());
    }
    return out;
  }

  private static void traffic(Ctx c) throws Exception {
    c.wm.register(get(urlPathMatching("/v/.*")).willReturn(ok()));
    c.http("GET", "/v/a");
    c.http("GET", "/v/a");
    c.http("GET", "/v/b");
    c.http("POST", "/v/a", Map.of(), "body");
    c.http("GET", "/unmatched");
  }

  public static List<Case> all() {
    return List.of(
        new Case(
            "verify_with_exact_counts_passes",
            c -> {
              traffic(c);
              c.wm.verifyThat(2, getRequestedFor(urlEqualTo("/v/a")));
              c.wm.verifyThat(1, postRequestedFor(urlEqualTo("/v/a")));
              c.wm.verifyThat(exactly(1), getRequestedFor(urlEqualTo("/v/b")));
              c.wm.verifyThat(getRequestedFor(urlEqualTo("/v/b")));
              return "verified";
            }),
        new Case(
            "verify_with_less_than_and_more_than_passes",
            c -> {
              traffic(c);
              c.wm.verifyThat(lessThan(3), getRequestedFor(urlEqualTo("/v/a")));
              c.wm.verifyThat(moreThan(1), getRequestedFor(urlEqualTo("/v/a")));
              c.wm.verifyThat(moreThanOrExactly(3), getRequestedFor(urlPathMatching("/v/.*")));
              c.wm.verifyThat(lessThanOrExactly(5), anyRequestedFor(anyUrl()));
              return "verified";
            }),
        new Case(
            "a_verify_with_the_wrong_count_fails",
            c -> {
              traffic(c);
              c.wm.verifyThat(5, getRequestedFor(urlEqualTo("/v/a")));
              return "verified";
            }),
        new Case(
            "a_verify_of_a_request_never_made_fails",
            c -> {
              traffic(c);
              c.wm.verifyThat(getRequestedFor(urlEqualTo("/never")));
              return "verified";
            }),
        new Case(
            "verify_matches_headers_and_bodies",
            c -> {
              c.wm.register(any(anyUrl()).willReturn(ok()));
              c.http("POST", "/h", Map.of("X-Id", "7", "Content-Type", "application/json"), "{\"k\":[1,2]}");
              c.wm.verifyThat(1, postRequestedFor(urlEqualTo("/h")).withHeader("X-Id", equalTo("7")).withRequestBody(equalToJson("{\"k\":[1,2]}")));
              c.wm.verifyThat(0, postRequestedFor(urlEqualTo("/h")).withHeader("X-Id", equalTo("8")));
              return "verified";
            }),
        new Case(
            "find_returns_the_matching_requests_in_order",
            c -> {
              traffic(c);
              return List.of(urls(c.wm.find(getRequestedFor(urlPathMatching("/v/.*")))), urls(c.wm.find(anyRequestedFor(anyUrl()))).size());
            }),
        new Case(
            "find_unmatched_requests_lists_only_those_without_a_stub",
            c -> {
              traffic(c);
              return urls(c.wm.findAllUnmatchedRequests());
            }),
        new Case(
            "get_all_serve_events_lists_every_request_newest_first",
            c -> {
              traffic(c);
              return eventUrls(c.wm.getServeEvents());
            }),
        new Case(
            "remove_serve_events_by_pattern_returns_and_removes_them",
            c -> {
              traffic(c);
              List<ServeEvent> removed = c.wm.removeEvents(getRequestedFor(urlEqualTo("/v/a")));
              return List.of(eventUrls(removed), eventUrls(c.wm.getServeEvents()));
            }),
        new Case(
            "remove_one_serve_event_by_id",
            c -> {
              traffic(c);
              ServeEvent first = c.wm.getServeEvents().get(0);
              c.wm.removeEvent(first.getId());
              return eventUrls(c.wm.getServeEvents());
            }),
        new Case(
            "reset_requests_empties_the_journal_but_keeps_stubs",
            c -> {
              traffic(c);
              c.wm.resetRequests();
              return List.of(c.wm.getServeEvents().size(), c.wm.allStubMappings().getMappings().size(), c.wm.find(anyRequestedFor(anyUrl())).size());
            }));
  }
}
