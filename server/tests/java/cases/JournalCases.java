import static com.github.tomakehurst.wiremock.client.WireMock.*;

import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The fields of serve events as the client parses them. */
public final class JournalCases {
  public static List<Case> all() {
    return List.of(
        new Case(
            "a_matched_serve_event_carries_request_and_response",
            c -> {
              StubMapping s = c.wm.register(post(urlPathEqualTo("/j")).willReturn(aResponse().withStatus(201).withHeader("X-Out", "o").withBody("made it")));
              c.http("POST", "/j?q=1", Map.of("X-In", "i", "Content-Type", "text/plain"), "hello body");
              ServeEvent e = c.wm.getServeEvents().get(0);
              Map<String, Object> o = new TreeMap<>();
              o.put("url", e.getRequest().getUrl());
              o.put("method", e.getRequest().getMethod().toString());
              o.put("header", e.getRequest().getHeader("X-In"));
              o.put("body", e.getRequest().getBodyAsString());
              o.put("query", String.valueOf(e.getRequest().queryParameter("q").firstValue()));
              o.put("status", e.getResponse().getStatus());
              o.put("responseBody", e.getResponse().getBodyAsString());
              o.put("responseHeader", String.valueOf(e.getResponse().getHeaders().getHeader("X-Out").firstValue()));
              o.put("wasMatched", e.getWasMatched());
              o.put("stubId", s.getId().equals(e.getStubMapping().getId()));
              o.put("definitionStatus", e.getResponseDefinition().getStatus());
              o.put("definitionBody", e.getResponseDefinition().getBody());
              o.put("timingPresent", e.getTiming() != null);
              return o;
            }),
        new Case(
            "an_unmatched_serve_event_records_the_404",
            c -> {
              c.http("GET", "/not-stubbed");
              ServeEvent e = c.wm.getServeEvents().get(0);
              return List.of(e.getWasMatched(), e.getResponse().getStatus(), e.getResponseDefinition().getStatus(), e.getRequest().getUrl());
            }),
        new Case(
            "a_delayed_answer_records_its_added_delay",
            c -> {
              c.wm.register(get(urlEqualTo("/late")).willReturn(ok("late").withFixedDelay(200)));
              c.http("GET", "/late");
              ServeEvent e = c.wm.getServeEvents().get(0);
              return List.of(e.getTiming().getAddedDelay(), e.getTiming().getTotalTime() >= 200);
            }),
        new Case(
            "response_headers_are_recorded",
            c -> {
              c.wm.register(get(urlEqualTo("/hdr")).willReturn(ok().withHeader("X-One", "1").withHeader("X-Two", "a", "b")));
              c.http("GET", "/hdr");
              var h = c.wm.getServeEvents().get(0).getResponse().getHeaders();
              return List.of(h.getHeader("X-One").values(), h.getHeader("X-Two").values());
            }),
        new Case(
            "a_binary_response_body_is_recorded",
            c -> {
              c.wm.register(get(urlEqualTo("/bin")).willReturn(aResponse().withHeader("Content-Type", "application/octet-stream").withBody(new byte[] {0, 1, 2, (byte) 255})));
              c.http("GET", "/bin");
              ServeEvent e = c.wm.getServeEvents().get(0);
              return java.util.Arrays.toString(e.getResponse().getBody());
            }),
        new Case(
            "a_json_response_body_is_recorded_as_text",
            c -> {
              c.wm.register(get(urlEqualTo("/json")).willReturn(okJson("{\"x\": [1, 2]}")));
              c.http("GET", "/json");
              return c.wm.getServeEvents().get(0).getResponse().getBodyAsString();
            }),
        new Case(
            "logged_requests_carry_client_facing_fields",
            c -> {
              c.wm.register(any(anyUrl()).willReturn(ok()));
              c.http("PUT", "/lr/x?a=1&a=2", Map.of("X-Multi", "v"), "payload");
              var r = c.wm.find(putRequestedFor(urlPathEqualTo("/lr/x"))).get(0);
              return List.of(r.getUrl(), r.getMethod().toString(), r.getBodyAsString(), r.queryParameter("a").values(), r.containsHeader("X-Multi"), r.getAbsoluteUrl().endsWith("/lr/x?a=1&a=2"));
            }),
        new Case(
            "a_serve_event_is_read_by_id",
            c -> {
              c.wm.register(get(urlEqualTo("/id")).willReturn(ok("by id")));
              c.http("GET", "/id");
              ServeEvent e = c.wm.getServeEvents().get(0);
              Resp r = c.http("GET", "/__admin/requests/" + e.getId());
              return List.of(r.status(), r.body().contains("\"url\" : \"/id\"") || r.body().contains("\"url\":\"/id\""));
            }),
        new Case(
            "serve_events_are_filtered_by_unmatched_and_by_stub",
            c -> {
              StubMapping s = c.wm.register(get(urlEqualTo("/f")).willReturn(ok()));
              c.wm.register(get(urlEqualTo("/g")).willReturn(ok()));
              c.http("GET", "/f");
              c.http("GET", "/g");
              c.http("GET", "/nope");
              var unmatched = c.wm.getServeEvents(com.github.tomakehurst.wiremock.admin.model.ServeEventQuery.ALL_UNMATCHED);
              var forStub = c.wm.getServeEvents(com.github.tomakehurst.wiremock.admin.model.ServeEventQuery.forStubMapping(s));
              return List.of(unmatched.size(), unmatched.get(0).getRequest().getUrl(), forStub.size(), forStub.get(0).getRequest().getUrl());
            }));
  }
}
