import static com.github.tomakehurst.wiremock.client.WireMock.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Request matchers, each through the Java client's builders: the statuses of requests that match and that do not. */
public final class MatcherCases {
  private static int send(Ctx c, String path, Map<String, String> headers) throws Exception {
    return c.http("GET", path, headers, null).status();
  }

  private static int sendPost(Ctx c, String path, Map<String, String> headers, String body) throws Exception {
    return c.http("POST", path, headers, body).status();
  }

  public static List<Case> all() {
    return List.of(
        new Case(
            "path_parameters_of_a_url_path_template",
            c -> {
              c.wm.register(get(urlPathTemplate("/users/{id}/posts/{post}"))
                  .withPathParam("id", equalTo("7"))
                  .withPathParam("post", matching("[0-9]+"))
                  .willReturn(ok("hit")));
              return List.of(send(c, "/users/7/posts/12", Map.of()), send(c, "/users/8/posts/12", Map.of()), send(c, "/users/7/posts/x", Map.of()));
            }),
        new Case(
            "having_exactly_and_including_query_parameters_and_headers",
            c -> {
              c.wm.register(get(urlPathEqualTo("/exact")).withQueryParam("q", havingExactly("1", "2")).willReturn(ok()));
              c.wm.register(get(urlPathEqualTo("/incl")).withHeader("X-T", including(equalTo("a"), containing("b"))).willReturn(ok()));
              return List.of(
                  send(c, "/exact?q=2&q=1", Map.of()),
                  send(c, "/exact?q=1&q=2&q=3", Map.of()),
                  send(c, "/exact?q=1", Map.of()),
                  send(c, "/incl", Map.of("X-T", "a")));
            }),
        new Case(
            "and_or_not",
            c -> {
              c.wm.register(get(urlPathEqualTo("/logic"))
                  .withQueryParam("a", and(containing("x"), notContaining("y")))
                  .withQueryParam("b", or(equalTo("1"), equalTo("2")))
                  .withQueryParam("c", not(equalTo("bad")))
                  .willReturn(ok()));
              return List.of(
                  send(c, "/logic?a=xx&b=1&c=ok", Map.of()),
                  send(c, "/logic?a=xx&b=2&c=ok", Map.of()),
                  send(c, "/logic?a=xy&b=1&c=ok", Map.of()),
                  send(c, "/logic?a=xx&b=3&c=ok", Map.of()),
                  send(c, "/logic?a=xx&b=1&c=bad", Map.of()));
            }),
        new Case(
            "basic_auth_credentials",
            c -> {
              c.wm.register(get(urlPathEqualTo("/auth")).withBasicAuth("u", "p").willReturn(ok()));
              return List.of(
                  send(c, "/auth", Map.of("Authorization", "Basic dTpw")),
                  send(c, "/auth", Map.of("Authorization", "Basic dTpx")),
                  send(c, "/auth", Map.of()));
            }),
        new Case(
            "cookies",
            c -> {
              c.wm.register(get(urlPathEqualTo("/cookie")).withCookie("session", equalTo("abc")).willReturn(ok()));
              return List.of(
                  send(c, "/cookie", Map.of("Cookie", "x=1; session=abc")),
                  send(c, "/cookie", Map.of("Cookie", "session=abd")),
                  send(c, "/cookie", Map.of()));
            }),
        new Case(
            "form_parameters",
            c -> {
              c.wm.register(post(urlPathEqualTo("/form"))
                  .withFormParam("name", equalTo("a b"))
                  .withFormParam("tag", havingExactly("1", "2"))
                  .willReturn(ok()));
              Map<String, String> form = Map.of("Content-Type", "application/x-www-form-urlencoded");
              return List.of(
                  sendPost(c, "/form", form, "name=a+b&tag=1&tag=2"),
                  sendPost(c, "/form", form, "name=a+b&tag=1"),
                  sendPost(c, "/form", form, "name=x&tag=1&tag=2"));
            }),
        new Case(
            "equal_to_xml",
            c -> {
              c.wm.register(post(urlPathEqualTo("/xml")).withRequestBody(equalToXml("<order id=\"1\" kind=\"a\"><item>x</item></order>")).willReturn(ok()));
              return List.of(
                  sendPost(c, "/xml", Map.of(), "<order kind=\"a\" id=\"1\">\n  <item>x</item>\n</order>"),
                  sendPost(c, "/xml", Map.of(), "<order kind=\"b\" id=\"1\"><item>x</item></order>"),
                  sendPost(c, "/xml", Map.of(), "not xml"));
            }),
        new Case(
            "equal_to_xml_with_placeholders",
            c -> {
              c.wm.register(post(urlPathEqualTo("/xml")).withRequestBody(equalToXml("<a><id>${xmlunit.ignore}</id></a>", true)).willReturn(ok()));
              return List.of(sendPost(c, "/xml", Map.of(), "<a><id>42</id></a>"), sendPost(c, "/xml", Map.of(), "<a><no>42</no></a>"));
            }),
        new Case(
            "matching_xpath_with_namespaces_and_a_value_matcher",
            c -> {
              c.wm.register(post(urlPathEqualTo("/ns")).withRequestBody(matchingXPath("/s:env/s:body", Map.of("s", "urn:soap"))).willReturn(ok()));
              c.wm.register(post(urlPathEqualTo("/value")).withRequestBody(matchingXPath("//total/text()", equalTo("7"))).willReturn(ok()));
              String soap = "<e:env xmlns:e=\"urn:soap\"><e:body><total>7</total></e:body></e:env>";
              return List.of(
                  sendPost(c, "/ns", Map.of(), soap),
                  sendPost(c, "/ns", Map.of(), "<env><body/></env>"),
                  sendPost(c, "/value", Map.of(), soap),
                  sendPost(c, "/value", Map.of(), "<x><total>8</total></x>"));
            }),
        new Case(
            "before_after_and_equal_to_date_time",
            c -> {
              c.wm.register(get(urlPathEqualTo("/date"))
                  .withHeader("X-Before", before("2030-01-01T00:00:00Z"))
                  .withHeader("X-After", after("now -1 days"))
                  .withHeader("X-Day", equalToDateTime("2021-06-14T00:00:00Z").actualFormat("dd/MM/yyyy"))
                  .willReturn(ok()));
              String near = "2029-05-01T10:00:00Z";
              String far = "2099-05-01T10:00:00Z";
              return List.of(
                  send(c, "/date", Map.of("X-Before", near, "X-After", far, "X-Day", "14/06/2021")),
                  send(c, "/date", Map.of("X-Before", far, "X-After", far, "X-Day", "14/06/2021")),
                  send(c, "/date", Map.of("X-Before", near, "X-After", "2001-01-01T00:00:00Z", "X-Day", "14/06/2021")),
                  send(c, "/date", Map.of("X-Before", near, "X-After", far, "X-Day", "15/06/2021")));
            }),
        new Case(
            "after_now_plus_an_offset",
            c -> {
              c.wm.register(get(urlPathEqualTo("/later")).withHeader("X-When", after("now +3 days")).willReturn(ok()));
              return List.of(
                  send(c, "/later", Map.of("X-When", java.time.ZonedDateTime.now().plusDays(4).toString())),
                  send(c, "/later", Map.of("X-When", java.time.ZonedDateTime.now().plusDays(2).toString())));
            }),
        new Case(
            "absent_and_equal_to_ignore_case",
            c -> {
              c.wm.register(get(urlPathEqualTo("/h")).withHeader("X-Gone", absent()).withHeader("X-Name", equalToIgnoreCase("ANN")).willReturn(ok()));
              return List.of(send(c, "/h", Map.of("X-Name", "ann")), send(c, "/h", Map.of("X-Name", "ann", "X-Gone", "1")));
            }),
        new Case(
            "a_mapping_with_the_new_matchers_reads_back_as_sent",
            c -> {
              c.wm.register(get(urlPathTemplate("/r/{id}")).withPathParam("id", equalTo("1"))
                  .withQueryParam("q", including("a")).withBasicAuth("u", "p").withCookie("k", containing("v"))
                  .willReturn(ok()));
              List<Object> out = new ArrayList<>();
              out.add(c.wm.allStubMappings().getMappings().get(0).getRequest().toString());
              return out;
            }));
  }
}
