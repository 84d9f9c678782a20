import static com.github.tomakehurst.wiremock.client.WireMock.*;

import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import java.util.ArrayList;
import java.util.List;

/** Finding and removing stubs and serve events by stub metadata. */
public final class MetadataCases {
  private static void stubs(Ctx c) {
    c.wm.register(get(urlEqualTo("/a")).withMetadata(com.github.tomakehurst.wiremock.common.Metadata.metadata().attr("team", "alpha").attr("tier", 1)).willReturn(ok("a")));
    c.wm.register(get(urlEqualTo("/b")).withMetadata(com.github.tomakehurst.wiremock.common.Metadata.metadata().attr("team", "beta").list("tags", "x", "y")).willReturn(ok("b")));
    c.wm.register(get(urlEqualTo("/c")).willReturn(ok("c")));
  }

  private static List<Object> urls(List<StubMapping> ss) {
    List<Object> out = new ArrayList<>();
    for (StubMapping s : ss) {
      out.add(s.getRequest().getUrl());
    }
    java.util.Collections.sort((List) out);
    return out;
  }

  public static List<Case> all() {
    return List.of(
        new Case(
            "find_stubs_by_metadata_json_path",
            c -> {
              stubs(c);
              return List.of(
                  urls(c.wm.findAllStubsByMetadata(matchingJsonPath("$.team", equalTo("alpha")))),
                  urls(c.wm.findAllStubsByMetadata(matchingJsonPath("$.team"))),
                  urls(c.wm.findAllStubsByMetadata(matchingJsonPath("$.tags[?(@ == 'y')]"))));
            }),
        new Case(
            "find_stubs_by_metadata_equal_to_json",
            c -> {
              stubs(c);
              return urls(c.wm.findAllStubsByMetadata(equalToJson("{\"team\": \"beta\"}", true, true)));
            }),
        new Case(
            "remove_stubs_by_metadata",
            c -> {
              stubs(c);
              c.wm.removeStubsByMetadataPattern(matchingJsonPath("$.team"));
              return urls(c.wm.allStubMappings().getMappings());
            }),
        new Case(
            "remove_serve_events_for_stubs_matching_metadata",
            c -> {
              stubs(c);
              c.http("GET", "/a");
              c.http("GET", "/b");
              c.http("GET", "/c");
              c.http("GET", "/none");
              List<ServeEvent> removed = c.wm.removeEventsByMetadata(matchingJsonPath("$.team", equalTo("alpha")));
              List<Object> left = new ArrayList<>();
              for (ServeEvent e : c.wm.getServeEvents()) {
                left.add(e.getRequest().getUrl());
              }
              return List.of(removed.size(), removed.isEmpty() ? "" : removed.get(0).getRequest().getUrl(), left);
            }));
  }
}
