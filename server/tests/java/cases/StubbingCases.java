import static com.github.tomakehurst.wiremock.client.WireMock.*;

import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Stubs made, edited, listed and removed through the official client. */
public final class StubbingCases {
  private static List<Object> answer(Resp r) {
    return List.of(r.status(), r.body());
  }

  public static List<Case> all() {
    return List.of(
        new Case(
            "a_get_stub_answers_its_status_and_body",
            c -> {
              c.wm.register(get(urlEqualTo("/hello")).willReturn(aResponse().withStatus(200).withBody("hi")));
              return answer(c.http("GET", "/hello"));
            }),
        new Case(
            "stubs_for_each_method_answer_only_their_method",
            c -> {
              c.wm.register(post(urlEqualTo("/m")).willReturn(aResponse().withStatus(201).withBody("post")));
              c.wm.register(put(urlEqualTo("/m")).willReturn(aResponse().withStatus(202).withBody("put")));
              c.wm.register(delete(urlEqualTo("/m")).willReturn(aResponse().withStatus(204)));
              c.wm.register(get(urlEqualTo("/m")).willReturn(ok("get")));
              List<Object> out = new ArrayList<>();
              for (String m : List.of("GET", "POST", "PUT", "DELETE")) {
                out.add(answer(c.http(m, "/m", Map.of(), m.equals("GET") || m.equals("DELETE") ? null : "x")));
              }
              out.add(c.http("PATCH", "/m", Map.of(), "x").status());
              return out;
            }),
        new Case(
            "an_any_stub_answers_every_method",
            c -> {
              c.wm.register(any(urlPathEqualTo("/any")).willReturn(ok("any")));
              return List.of(
                  answer(c.http("GET", "/any")),
                  answer(c.http("PATCH", "/any", Map.of(), "b")),
                  answer(c.http("DELETE", "/any")));
            }),
        new Case(
            "url_equal_to_matches_path_and_query_exactly",
            c -> {
              c.wm.register(get(urlEqualTo("/u?a=1")).willReturn(ok("exact")));
              return List.of(c.http("GET", "/u?a=1").status(), c.http("GET", "/u").status(), c.http("GET", "/u?a=2").status());
            }),
        new Case(
            "url_path_equal_to_ignores_the_query",
            c -> {
              c.wm.register(get(urlPathEqualTo("/p")).willReturn(ok("path")));
              return List.of(answer(c.http("GET", "/p?x=1")), c.http("GET", "/p/more").status());
            }),
        new Case(
            "url_matching_and_url_path_matching_use_regexes",
            c -> {
              c.wm.register(get(urlMatching("/r/[0-9]+\\?q=.*")).willReturn(ok("url")));
              c.wm.register(get(urlPathMatching("/rp/[a-z]+")).willReturn(ok("path")));
              return List.of(
                  answer(c.http("GET", "/r/12?q=z")),
                  c.http("GET", "/r/12").status(),
                  answer(c.http("GET", "/rp/abc?z=1")),
                  c.http("GET", "/rp/ABC").status());
            }),
        new Case(
            "header_and_query_matchers_select_the_stub",
            c -> {
              c.wm.register(get(urlPathEqualTo("/hq")).withHeader("X-Kind", equalTo("a")).willReturn(ok("header a")));
              c.wm.register(get(urlPathEqualTo("/hq")).withQueryParam("kind", equalTo("b")).willReturn(ok("query b")));
              return List.of(
                  answer(c.http("GET", "/hq", Map.of("X-Kind", "a"), null)),
                  answer(c.http("GET", "/hq?kind=b", Map.of(), null)),
                  c.http("GET", "/hq?kind=c").status());
            }),
        new Case(
            "body_matchers_select_the_stub",
            c -> {
              c.wm.register(post(urlEqualTo("/b")).withRequestBody(containing("apple")).willReturn(ok("fruit")));
              c.wm.register(post(urlEqualTo("/b")).withRequestBody(equalToJson("{\"n\": 1}")).willReturn(ok("json")));
              return List.of(
                  answer(c.http("POST", "/b", Map.of(), "an apple")),
                  answer(c.http("POST", "/b", Map.of("Content-Type", "application/json"), "{ \"n\" : 1 }")),
                  c.http("POST", "/b", Map.of(), "pear").status());
            }),
        new Case(
            "response_headers_status_and_json_bodies_are_sent",
            c -> {
              c.wm.register(get(urlEqualTo("/r")).willReturn(aResponse().withStatus(418).withHeader("X-Tea", "pot").withBody("short")));
              c.wm.register(get(urlEqualTo("/j")).willReturn(okJson("{\"a\":1}")));
              Resp r = c.http("GET", "/r");
              Resp j = c.http("GET", "/j");
              return List.of(r.status(), r.header("X-Tea"), r.body(), j.status(), j.header("Content-Type"), j.body());
            }),
        new Case(
            "a_status_message_is_kept_on_the_stub",
            c -> {
              StubMapping s = c.wm.register(get(urlEqualTo("/sm")).willReturn(aResponse().withStatus(200).withStatusMessage("Fine")));
              return c.wm.getStubMapping(s.getId()).getItem().getResponse().getStatusMessage();
            }),
        new Case(
            "the_higher_priority_stub_wins",
            c -> {
              c.wm.register(get(urlEqualTo("/prio")).atPriority(5).willReturn(ok("low")));
              c.wm.register(get(urlEqualTo("/prio")).atPriority(1).willReturn(ok("high")));
              c.wm.register(get(urlEqualTo("/prio")).atPriority(3).willReturn(ok("middle")));
              return answer(c.http("GET", "/prio"));
            }),
        new Case(
            "the_newest_stub_wins_at_equal_priority",
            c -> {
              c.wm.register(get(urlEqualTo("/new")).willReturn(ok("old")));
              c.wm.register(get(urlEqualTo("/new")).willReturn(ok("new")));
              return answer(c.http("GET", "/new"));
            }),
        new Case(
            "edit_stub_replaces_the_answer_in_place",
            c -> {
              UUID id = UUID.randomUUID();
              c.wm.register(get(urlEqualTo("/e")).withId(id).willReturn(ok("before")));
              c.wm.editStubMapping(get(urlEqualTo("/e")).withId(id).willReturn(ok("after")));
              return List.of(answer(c.http("GET", "/e")), c.wm.allStubMappings().getMappings().size());
            }),
        new Case(
            "remove_stub_by_mapping_and_by_id",
            c -> {
              StubMapping a = c.wm.register(get(urlEqualTo("/ra")).willReturn(ok("a")));
              StubMapping b = c.wm.register(get(urlEqualTo("/rb")).willReturn(ok("b")));
              c.wm.removeStubMapping(a);
              int afterFirst = c.wm.allStubMappings().getMappings().size();
              c.wm.removeStubMapping(b.getId());
              return List.of(afterFirst, c.wm.allStubMappings().getMappings().size(), c.http("GET", "/ra").status());
            }),
        new Case(
            "remove_stub_by_builder_removes_the_matching_stub",
            c -> {
              c.wm.register(get(urlEqualTo("/rm")).willReturn(ok("a")));
              c.wm.register(get(urlEqualTo("/keep")).willReturn(ok("b")));
              c.wm.removeStubMapping(get(urlEqualTo("/rm")).willReturn(ok("a")));
              List<Object> urls = new ArrayList<>();
              for (StubMapping s : c.wm.allStubMappings().getMappings()) {
                urls.add(s.getRequest().getUrl());
              }
              return urls;
            }),
        new Case(
            "list_all_stub_mappings_newest_first",
            c -> {
              c.wm.register(get(urlEqualTo("/one")).willReturn(ok()));
              c.wm.register(post(urlPathEqualTo("/two")).willReturn(ok()));
              c.wm.register(put(urlPathMatching("/three.*")).willReturn(ok()));
              List<Object> out = new ArrayList<>();
              for (StubMapping s : c.wm.allStubMappings().getMappings()) {
                out.add(s.getRequest().getMethod() + " " + s.getRequest().getUrlMatcher().getExpected());
              }
              return out;
            }),
        new Case(
            "get_single_stub_mapping_round_trips_the_stub",
            c -> {
              StubMapping s = c.wm.register(
                  post(urlPathEqualTo("/single"))
                      .withName("the one")
                      .withHeader("Accept", containing("json"))
                      .withQueryParam("q", matching("[0-9]+"))
                      .willReturn(aResponse().withStatus(201).withHeader("X-A", "b").withBody("made")));
              StubMapping got = c.wm.getStubMapping(s.getId()).getItem();
              return List.of(
                  got.getId().equals(s.getId()),
                  String.valueOf(got.getName()),
                  got.getRequest().getMethod().toString(),
                  got.getRequest().getUrlPath(),
                  got.getRequest().getHeaders().get("Accept").getExpected(),
                  got.getRequest().getQueryParameters().get("q").getExpected(),
                  got.getResponse().getStatus(),
                  got.getResponse().getBody(),
                  String.valueOf(got.getResponse().getHeaders()));
            }),
        new Case(
            "a_missing_stub_id_is_an_error",
            c -> c.wm.getStubMapping(UUID.randomUUID()).getItem()),
        new Case(
            "stub_metadata_round_trips",
            c -> {
              StubMapping s = c.wm.register(
                  get(urlEqualTo("/meta")).withMetadata(com.github.tomakehurst.wiremock.common.Metadata.metadata().attr("team", "a").attr("n", 3).list("tags", "x", "y")).willReturn(ok()));
              return new java.util.TreeMap<>(c.wm.getStubMapping(s.getId()).getItem().getMetadata());
            }),
        new Case(
            "an_unmatched_request_answers_404",
            c -> c.http("GET", "/nothing-here").status()),
        new Case(
            "reset_to_default_mappings_drops_the_stubs_made_since",
            c -> {
              c.wm.register(get(urlEqualTo("/made")).willReturn(ok()));
              c.wm.resetToDefaultMappings();
              return List.of(c.wm.allStubMappings().getMappings().size(), c.http("GET", "/made").status());
            }),
        new Case(
            "global_settings_round_trip",
            c -> {
              c.wm.setGlobalFixedDelayVariable(20);
              Integer seen = c.wm.getGlobalSettings().getFixedDelay();
              c.wm.setGlobalFixedDelayVariable(0);
              return seen;
            }),
        new Case(
            "remove_mappings_empties_the_list",
            c -> {
              c.wm.register(get(urlEqualTo("/x")).willReturn(ok()));
              c.wm.removeMappings();
              return c.wm.allStubMappings().getMappings().size();
            }));
  }
}
