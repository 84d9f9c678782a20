import static com.github.tomakehurst.wiremock.client.WireMock.*;

import java.util.List;
import java.util.Map;

/** Admin calls the client has no method for, over raw HTTP: statuses and JSON shapes. */
public final class AdminRawCases {
  private static final Map<String, String> JSON = Map.of("Content-Type", "application/json");

  public static List<Case> all() {
    return List.of(
        new Case(
            "an_unknown_admin_path_answers_404",
            c -> List.of(c.http("GET", "/__admin/no/such/thing").status(), c.http("POST", "/__admin/nothing", JSON, "{}").status())),
        new Case(
            "unmatched_stubs_are_those_no_request_matched",
            c -> {
              c.wm.register(get(urlEqualTo("/used")).willReturn(ok()));
              c.wm.register(get(urlEqualTo("/idle")).willReturn(ok()));
              c.http("GET", "/used");
              Resp r = c.http("GET", "/__admin/mappings/unmatched");
              return List.of(r.status(), r.body().contains("/idle"), r.body().contains("/used"));
            }),
        new Case(
            "the_journal_lists_only_unmatched_requests_on_request",
            c -> {
              c.wm.register(get(urlEqualTo("/m")).willReturn(ok()));
              c.http("GET", "/m");
              c.http("GET", "/u");
              Resp r = c.http("GET", "/__admin/requests?unmatched=true");
              return List.of(r.status(), r.body().contains("\"/u\""), r.body().contains("\"/m\""));
            }),
        new Case(
            "remove_by_request_pattern_with_nothing_matching_is_no_error",
            c -> c.http("POST", "/__admin/mappings/remove", JSON, "{\"request\": {\"url\": \"/zz\"}}").status()),
        new Case(
            "import_with_a_bad_duplicate_policy_is_refused",
            c -> c.http("POST", "/__admin/mappings/import", JSON, "{\"mappings\": [], \"importOptions\": {\"duplicatePolicy\": \"MERGE\"}}").status() >= 400),
        new Case(
            "version_answers_200",
            c -> c.http("GET", "/__admin/version").status()));
  }
}
