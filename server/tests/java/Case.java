/**
 * One compatibility case: a name (unique across all case files) and a body
 * that drives one server through {@link Ctx} and returns an observation
 * (String, number, Boolean, List, Map; an exception thrown is observed as
 * its class's simple name).
 */
public record Case(String name, Body body) {
  /** What a case does against one server. */
  public interface Body {
    Object run(Ctx ctx) throws Exception;
  }
}
