import static com.github.tomakehurst.wiremock.client.WireMock.*;

import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Proxying stubs ({@code proxiedFrom}) and recordings (start, stop, status, snapshot) against
 * the upstream partner server, stubbed through {@code ctx.upstreamWm}.
 */
public final class ProxyRecordCases {
  /** The upstream's partner API: JSON, text, and an answer that changes on the second call. */
  private static void partner(Ctx c) {
    c.upstreamWm.register(
        post(urlPathEqualTo("/orders"))
            .willReturn(
                aResponse()
                    .withStatus(201)
                    .withHeader("Content-Type", "application/json")
                    .withHeader("X-Order", "1")
                    .withBody("{\"id\":1}")));
    c.upstreamWm.register(
        get(urlPathEqualTo("/text"))
            .willReturn(aResponse().withHeader("Content-Type", "text/plain").withBody("plain")));
    c.upstreamWm.register(
        get(urlPathEqualTo("/seq"))
            .inScenario("s")
            .whenScenarioStateIs("Started")
            .willSetStateTo("two")
            .willReturn(ok("first")));
    c.upstreamWm.register(
        get(urlPathEqualTo("/seq")).inScenario("s").whenScenarioStateIs("two").willReturn(ok("second")));
  }

  /** What one recorded stub says, without its ids. */
  private static List<Object> describe(StubMapping m) {
    List<Object> d = new ArrayList<>();
    d.add(m.getName());
    d.add(m.getRequest().getMethod().toString());
    d.add(String.valueOf(m.getRequest().getUrl()));
    d.add(String.valueOf(m.getRequest().getUrlPath()));
    d.add(m.getResponse().getStatus());
    d.add(m.getResponse().getBody());
    d.add(m.getScenarioName() != null);
    return d;
  }

  private static List<Object> describeAll(List<StubMapping> list) {
    List<Object> out = new ArrayList<>();
    for (StubMapping m : list) {
      out.add(describe(m));
    }
    return out;
  }

  private static void stopQuietly(Ctx c) {
    try {
      c.wm.stopStubRecording();
    } catch (Exception ignored) {
      // not recording
    }
  }

  public static List<Case> all() {
    return List.of(
        new Case(
            "a_proxy_stub_relays_the_upstream_answer_and_forwards_the_request",
            c -> {
              c.upstreamWm.register(
                  post(urlPathEqualTo("/p/items"))
                      .willReturn(aResponse().withStatus(201).withHeader("X-Up", "yes").withBody("made")));
              c.wm.register(
                  any(urlPathMatching("/p/.*"))
                      .willReturn(
                          aResponse()
                              .proxiedFrom(c.upstream)
                              .withAdditionalRequestHeader("X-Added", "a")
                              .withRemoveRequestHeader("x-remove")));
              Resp r =
                  c.http(
                      "POST", "/p/items?x=1", Map.of("X-Keep", "k", "X-Remove", "r"), "hello");
              List<LoggedRequest> got = c.upstreamWm.find(anyRequestedFor(urlPathEqualTo("/p/items")));
              LoggedRequest up = got.get(0);
              return List.of(
                  r.status(),
                  String.valueOf(r.header("X-Up")),
                  r.body(),
                  got.size(),
                  up.getMethod().toString(),
                  up.getUrl(),
                  String.valueOf(up.getHeader("X-Keep")),
                  String.valueOf(up.getHeader("X-Added")),
                  up.containsHeader("X-Remove"),
                  up.getBodyAsString());
            }),
        new Case(
            "a_proxy_stub_removes_the_url_prefix_it_is_told",
            c -> {
              c.upstreamWm.register(get(urlEqualTo("/v1/x")).willReturn(ok("x")));
              c.wm.register(
                  get(urlPathMatching("/rm/.*"))
                      .willReturn(aResponse().proxiedFrom(c.upstream).withProxyUrlPrefixToRemove("/rm")));
              Resp r = c.http("GET", "/rm/v1/x");
              return List.of(r.status(), r.body());
            }),
        new Case(
            "a_proxy_stub_round_trips_its_settings",
            c -> {
              StubMapping m =
                  c.wm.register(
                      get(urlEqualTo("/rt"))
                          .willReturn(
                              aResponse()
                                  .proxiedFrom(c.upstream)
                                  .withAdditionalRequestHeader("X-A", "1")
                                  .withProxyUrlPrefixToRemove("/rt")));
              StubMapping back = c.wm.getStubMapping(m.getId()).getItem();
              return List.of(
                  back.getResponse().getProxyBaseUrl().equals(c.upstream),
                  back.getResponse().getAdditionalProxyRequestHeaders().getHeader("X-A").firstValue(),
                  back.getResponse().getProxyUrlPrefixToRemove());
            }),
        new Case(
            "a_proxy_stub_whose_upstream_is_down_answers_500",
            c -> {
              c.wm.register(get(urlEqualTo("/down")).willReturn(aResponse().proxiedFrom("http://127.0.0.1:9")));
              Resp r = c.http("GET", "/down");
              return List.of(
                  r.status(),
                  r.body().startsWith("Network failure trying to make a proxied request from "),
                  r.body().contains("http://127.0.0.1:9/down"));
            }),
        new Case(
            "a_recording_reports_its_status_and_replays_what_it_recorded",
            c -> {
              partner(c);
              List<Object> seen = new ArrayList<>();
              try {
                c.wm.startStubRecording(recordSpec().forTarget(c.upstream).makeStubsPersistent(false));
                seen.add(c.wm.getStubRecordingStatus().getStatus().toString());
                seen.add(c.http("POST", "/orders?src=web", Map.of("Content-Type", "application/json"), "{\"item\":\"a\"}").status());
                seen.add(c.http("GET", "/text").body());
                seen.add(c.http("GET", "/seq").body());
                seen.add(c.http("GET", "/seq").body());
              } finally {
                List<StubMapping> made = c.wm.stopStubRecording().getStubMappings();
                seen.add(describeAll(made));
              }
              seen.add(c.wm.getStubRecordingStatus().getStatus().toString());
              c.upstreamWm.resetToDefaultMappings();
              Resp replay = c.http("POST", "/orders?src=web", Map.of("Content-Type", "application/json"), "{\"item\":\"a\"}");
              seen.add(List.of(replay.status(), replay.body(), String.valueOf(replay.header("X-Order"))));
              seen.add(c.http("GET", "/text").body());
              seen.add(c.http("GET", "/seq").body());
              seen.add(c.http("GET", "/seq").body());
              return seen;
            }),
        new Case(
            "a_recording_with_filters_and_no_repeats_keeps_what_matches_once",
            c -> {
              partner(c);
              List<StubMapping> made;
              try {
                c.wm.startStubRecording(
                    recordSpec()
                        .forTarget(c.upstream)
                        .onlyRequestsMatching(getRequestedFor(urlPathMatching("/(seq|text)")))
                        .ignoreRepeatRequests()
                        .captureHeader("X-Tenant")
                        .makeStubsPersistent(false));
                c.http("GET", "/seq", Map.of("X-Tenant", "t1"), null);
                c.http("GET", "/seq", Map.of("X-Tenant", "t1"), null);
                c.http("POST", "/orders", Map.of(), "{}");
              } finally {
                made = c.wm.stopStubRecording().getStubMappings();
              }
              StubMapping m = made.get(0);
              return List.of(
                  made.size(),
                  describe(m),
                  String.valueOf(m.getRequest().getHeaders().get("X-Tenant").getExpected()),
                  m.isPersistent() == null ? "null" : m.isPersistent().toString());
            }),
        new Case(
            "stopping_a_recording_that_was_not_started_is_refused",
            c -> {
              stopQuietly(c);
              try {
                c.wm.stopStubRecording();
                return "stopped";
              } catch (Exception e) {
                return e.getClass().getSimpleName();
              }
            }),
        new Case(
            "a_snapshot_makes_stubs_of_the_proxied_exchanges",
            c -> {
              partner(c);
              c.wm.register(any(anyUrl()).willReturn(aResponse().proxiedFrom(c.upstream)));
              c.http("GET", "/text");
              c.http("GET", "/seq");
              List<StubMapping> made = c.wm.takeSnapshotRecording(recordSpec().makeStubsPersistent(false));
              return describeAll(made);
            }));
  }
}
