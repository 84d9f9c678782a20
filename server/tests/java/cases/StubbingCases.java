import static com.github.tomakehurst.wiremock.client.WireMock.*;

import java.util.List;
import java.util.Map;

/** Stubs made, edited, listed and removed through the official client. */
public final class StubbingCases {
  public static List<Case> all() {
    return List.of(
        new Case(
            "a_get_stub_answers_its_status_and_body",
            c -> {
              c.wm.register(get(urlEqualTo("/hello")).willReturn(aResponse().withStatus(200).withBody("hi")));
              Resp r = c.http("GET", "/hello");
              return List.of(r.status(), r.body());
            }));
  }
}
