import static com.github.tomakehurst.wiremock.client.WireMock.*;

import com.github.tomakehurst.wiremock.stubbing.Scenario;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/** Scenarios: state transitions, set, reset, listing. */
public final class ScenarioCases {
  private static void cart(Ctx c) {
    c.wm.register(get(urlEqualTo("/cart")).inScenario("Cart").whenScenarioStateIs(Scenario.STARTED).willReturn(ok("empty")));
    c.wm.register(post(urlEqualTo("/cart")).inScenario("Cart").whenScenarioStateIs(Scenario.STARTED).willSetStateTo("Full").willReturn(ok("added")));
    c.wm.register(get(urlEqualTo("/cart")).inScenario("Cart").whenScenarioStateIs("Full").willReturn(ok("one item")));
  }

  public static List<Case> all() {
    return List.of(
        new Case(
            "a_scenario_moves_through_its_states",
            c -> {
              cart(c);
              return List.of(c.http("GET", "/cart").body(), c.http("POST", "/cart", java.util.Map.of(), "x").body(), c.http("GET", "/cart").body());
            }),
        new Case(
            "set_scenario_state_moves_it_directly",
            c -> {
              cart(c);
              c.wm.setSingleScenarioState("Cart", "Full");
              return c.http("GET", "/cart").body();
            }),
        new Case(
            "reset_one_scenario_returns_it_to_started",
            c -> {
              cart(c);
              c.http("POST", "/cart", java.util.Map.of(), "x");
              c.wm.resetScenarioState("Cart");
              return c.http("GET", "/cart").body();
            }),
        new Case(
            "reset_all_scenarios_returns_them_to_started",
            c -> {
              cart(c);
              c.http("POST", "/cart", java.util.Map.of(), "x");
              c.wm.resetScenarios();
              return c.http("GET", "/cart").body();
            }),
        new Case(
            "get_all_scenarios_lists_names_states_and_possible_states",
            c -> {
              cart(c);
              c.http("POST", "/cart", java.util.Map.of(), "x");
              List<Object> out = new ArrayList<>();
              for (Scenario s : c.wm.getScenarios()) {
                out.add(List.of(s.getName(), s.getState(), new ArrayList<>(new TreeSet<>(s.getPossibleStates()))));
              }
              return out;
            }),
        new Case(
            "set_state_of_an_unknown_scenario_fails",
            c -> {
              c.wm.setSingleScenarioState("Nope", "Any");
              return "set";
            }),
        new Case(
            "set_state_to_a_state_the_scenario_does_not_have_fails",
            c -> {
              cart(c);
              c.wm.setSingleScenarioState("Cart", "Nowhere");
              return "set";
            }),
        new Case(
            "the_raw_set_state_call_of_an_unknown_scenario_answers_404",
            c -> {
              Resp r = c.http("PUT", "/__admin/scenarios/Nope/state", java.util.Map.of("Content-Type", "application/json"), "{\"state\":\"x\"}");
              return r.status();
            }));
  }
}
