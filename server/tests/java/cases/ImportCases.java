import static com.github.tomakehurst.wiremock.client.WireMock.*;

import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** importStubs with its options. */
public final class ImportCases {
  private static final UUID SHARED = UUID.fromString("00000000-0000-4000-8000-000000000001");

  private static List<Object> state(Ctx c) throws Exception {
    List<Object> out = new ArrayList<>();
    for (StubMapping s : c.wm.allStubMappings().getMappings()) {
      out.add(s.getRequest().getUrl());
    }
    java.util.Collections.sort((List) out);
    return List.of(out, c.http("GET", "/shared").body());
  }

  private static void existing(Ctx c) {
    c.wm.register(get(urlEqualTo("/shared")).withId(SHARED).willReturn(ok("old")));
    c.wm.register(get(urlEqualTo("/other")).willReturn(ok("other")));
  }

  public static List<Case> all() {
    return List.of(
        new Case(
            "import_adds_stubs_and_overwrites_by_default",
            c -> {
              existing(c);
              c.wm.importStubMappings(com.github.tomakehurst.wiremock.stubbing.StubImport.stubImport().stub(get(urlEqualTo("/shared")).withId(SHARED).willReturn(ok("new"))).stub(get(urlEqualTo("/added")).willReturn(ok())));
              return state(c);
            }),
        new Case(
            "import_with_ignore_existing_keeps_the_old_stub",
            c -> {
              existing(c);
              c.wm.importStubMappings(com.github.tomakehurst.wiremock.stubbing.StubImport.stubImport().stub(get(urlEqualTo("/shared")).withId(SHARED).willReturn(ok("new"))).ignoreExisting());
              return state(c);
            }),
        new Case(
            "import_with_overwrite_existing_replaces_the_stub",
            c -> {
              existing(c);
              c.wm.importStubMappings(com.github.tomakehurst.wiremock.stubbing.StubImport.stubImport().stub(get(urlEqualTo("/shared")).withId(SHARED).willReturn(ok("new"))).overwriteExisting().doNotDeleteExistingStubs());
              return state(c);
            }),
        new Case(
            "import_deleting_all_not_in_import_leaves_only_the_import",
            c -> {
              existing(c);
              c.wm.importStubMappings(com.github.tomakehurst.wiremock.stubbing.StubImport.stubImport().stub(get(urlEqualTo("/shared")).withId(SHARED).willReturn(ok("new"))).stub(get(urlEqualTo("/added")).willReturn(ok())).deleteAllExistingStubsNotInImport());
              return state(c);
            }),
        new Case(
            "import_ignoring_existing_and_deleting_the_rest",
            c -> {
              existing(c);
              c.wm.importStubMappings(com.github.tomakehurst.wiremock.stubbing.StubImport.stubImport().stub(get(urlEqualTo("/shared")).withId(SHARED).willReturn(ok("new"))).ignoreExisting().deleteAllExistingStubsNotInImport());
              return state(c);
            }));
  }
}
