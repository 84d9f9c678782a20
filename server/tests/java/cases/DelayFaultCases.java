import static com.github.tomakehurst.wiremock.client.WireMock.*;

import com.github.tomakehurst.wiremock.http.Fault;
import java.util.List;

/** Fixed delays (measured loosely) and faults (seen as the client's exception class). */
public final class DelayFaultCases {
  private static Case fault(String name, Fault f) {
    return new Case(
        name,
        c -> {
          c.wm.register(get(urlEqualTo("/fault")).willReturn(aResponse().withFault(f)));
          try {
            return c.http("GET", "/fault").status();
          } catch (java.io.IOException e) {
            return "IOException";
          }
        });
  }

  public static List<Case> all() {
    return List.of(
        new Case(
            "a_fixed_delay_holds_the_answer_back",
            c -> {
              c.wm.register(get(urlEqualTo("/slow")).willReturn(ok("late").withFixedDelay(400)));
              long t = System.nanoTime();
              Resp r = c.http("GET", "/slow");
              long ms = (System.nanoTime() - t) / 1_000_000;
              return List.of(r.body(), ms >= 350 ? "delayed" : "too quick: " + ms + " ms");
            }),
        new Case(
            "a_fixed_delay_round_trips_on_the_stub",
            c -> c.wm.register(get(urlEqualTo("/slow2")).willReturn(ok().withFixedDelay(250))).getResponse().getFixedDelayMilliseconds()),
        fault("connection_reset_by_peer_is_an_io_error", Fault.CONNECTION_RESET_BY_PEER),
        fault("empty_response_is_an_io_error", Fault.EMPTY_RESPONSE),
        fault("random_data_then_close_is_an_io_error", Fault.RANDOM_DATA_THEN_CLOSE),
        fault("a_malformed_response_chunk_is_an_io_error", Fault.MALFORMED_RESPONSE_CHUNK),
        new Case(
            "a_fault_is_recorded_in_the_journal",
            c -> {
              c.wm.register(get(urlEqualTo("/rec")).willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
              try {
                c.http("GET", "/rec");
              } catch (java.io.IOException e) {
                // expected
              }
              var e = c.wm.getServeEvents().get(0);
              return List.of(String.valueOf(e.getResponse().getFault()), e.getWasMatched());
            }),
        new Case(
            "a_fault_stub_round_trips",
            c -> String.valueOf(c.wm.register(get(urlEqualTo("/f")).willReturn(aResponse().withFault(Fault.EMPTY_RESPONSE))).getResponse().getFault())));
  }
}
