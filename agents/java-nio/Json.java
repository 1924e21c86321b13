// A small JSON reader and writer for the agent protocol (the JDK has none).
//
// Values: LinkedHashMap<String, Object>, ArrayList<Object>, String, Long (integers that fit),
// Double (other numbers), Boolean, and Json.NULL for a literal null. Strings are read from text
// that decodeLine() produced, so invalid UTF-8 bytes of the request arrive as lone surrogates
// U+DC80..U+DCFF and a field carrying them can be refused instead of hashed (HASH-5).
//
//   Object request = Json.parse(Json.decodeLine(bytes));
//   String line = Json.write(Map.of("id", 1, "ok", true));

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

final class Json {
  static final Object NULL = new Object() {
    @Override
    public String toString() {
      return "null";
    }
  };
  private static final int MAX_DEPTH = 64;

  private final String text;
  private int at;

  private Json(String text) {
    this.text = text;
  }

  static Object parse(String text) {
    Json reader = new Json(text);
    reader.space();
    Object value = reader.value(0);
    reader.space();
    if (reader.at != text.length()) throw reader.error("unexpected text after the value");
    return value;
  }

  private IllegalArgumentException error(String what) {
    return new IllegalArgumentException(what + " at offset " + at);
  }

  private void space() {
    while (at < text.length() && " \t\r\n".indexOf(text.charAt(at)) >= 0) at++;
  }

  private char peek() {
    if (at >= text.length()) throw error("unexpected end of line");
    return text.charAt(at);
  }

  private void expect(char c) {
    if (peek() != c) throw error("expected '" + c + "'");
    at++;
  }

  private Object value(int depth) {
    if (depth > MAX_DEPTH) throw error("nested deeper than " + MAX_DEPTH);
    char c = peek();
    switch (c) {
      case '{': {
        at++;
        Map<String, Object> object = new LinkedHashMap<>();
        space();
        if (peek() == '}') {
          at++;
          return object;
        }
        for (;;) {
          space();
          if (peek() != '"') throw error("expected a string key");
          String key = string();
          space();
          expect(':');
          space();
          object.put(key, value(depth + 1));
          space();
          if (peek() == ',') {
            at++;
            continue;
          }
          expect('}');
          return object;
        }
      }
      case '[': {
        at++;
        List<Object> array = new ArrayList<>();
        space();
        if (peek() == ']') {
          at++;
          return array;
        }
        for (;;) {
          space();
          array.add(value(depth + 1));
          space();
          if (peek() == ',') {
            at++;
            continue;
          }
          expect(']');
          return array;
        }
      }
      case '"':
        return string();
      case 't':
        return literal("true", Boolean.TRUE);
      case 'f':
        return literal("false", Boolean.FALSE);
      case 'n':
        return literal("null", NULL);
      default:
        return number();
    }
  }

  private Object literal(String word, Object result) {
    if (!text.startsWith(word, at)) throw error("unknown literal");
    at += word.length();
    return result;
  }

  private Object number() {
    int start = at;
    if (at < text.length() && text.charAt(at) == '-') at++;
    int digits = at;
    while (at < text.length() && Character.isDigit(text.charAt(at)) && text.charAt(at) < 128) at++;
    if (at == digits) throw error("expected a value");
    if (text.charAt(digits) == '0' && at - digits > 1) throw error("leading zero in a number");
    boolean integral = true;
    if (at < text.length() && text.charAt(at) == '.') {
      integral = false;
      at++;
      int fraction = at;
      while (at < text.length() && text.charAt(at) >= '0' && text.charAt(at) <= '9') at++;
      if (at == fraction) throw error("expected digits after '.'");
    }
    if (at < text.length() && (text.charAt(at) == 'e' || text.charAt(at) == 'E')) {
      integral = false;
      at++;
      if (at < text.length() && (text.charAt(at) == '+' || text.charAt(at) == '-')) at++;
      int exponent = at;
      while (at < text.length() && text.charAt(at) >= '0' && text.charAt(at) <= '9') at++;
      if (at == exponent) throw error("expected exponent digits");
    }
    String literal = text.substring(start, at);
    if (integral && literal.length() <= 18) return Long.parseLong(literal);
    BigDecimal exact = new BigDecimal(literal);
    if (exact.signum() == 0 || (exact.stripTrailingZeros().scale() <= 0 && exact.abs().compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) <= 0)) {
      return exact.longValue();
    }
    return exact.doubleValue();
  }

  private String string() {
    expect('"');
    StringBuilder out = new StringBuilder();
    for (;;) {
      char c = peek();
      at++;
      if (c == '"') return out.toString();
      if (c < 0x20) throw error("control character in a string");
      if (c != '\\') {
        out.append(c);
        continue;
      }
      char e = peek();
      at++;
      switch (e) {
        case '"': out.append('"'); break;
        case '\\': out.append('\\'); break;
        case '/': out.append('/'); break;
        case 'b': out.append('\b'); break;
        case 'f': out.append('\f'); break;
        case 'n': out.append('\n'); break;
        case 'r': out.append('\r'); break;
        case 't': out.append('\t'); break;
        case 'u': {
          if (at + 4 > text.length()) throw error("short \\u escape");
          try {
            out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
          } catch (NumberFormatException bad) {
            throw error("bad \\u escape");
          }
          at += 4;
          break;
        }
        default:
          throw error("bad escape '\\" + e + "'");
      }
    }
  }

  // ----------------------------------------------------------------------------------------------

  static String write(Object value) {
    StringBuilder out = new StringBuilder();
    write(out, value);
    return out.toString();
  }

  @SuppressWarnings("unchecked")
  private static void write(StringBuilder out, Object value) {
    if (value == null || value == NULL) {
      out.append("null");
    } else if (value instanceof String) {
      quote(out, (String) value);
    } else if (value instanceof Boolean || value instanceof Integer || value instanceof Long) {
      out.append(value);
    } else if (value instanceof Double) {
      double d = (Double) value;
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        out.append("null");
      } else if (d == Math.rint(d) && Math.abs(d) < 1e15) {
        out.append((long) d);
      } else {
        out.append(BigDecimal.valueOf(d).toPlainString());
      }
    } else if (value instanceof Map) {
      out.append('{');
      boolean first = true;
      for (Map.Entry<String, Object> entry : ((Map<String, Object>) value).entrySet()) {
        if (!first) out.append(',');
        first = false;
        quote(out, entry.getKey());
        out.append(':');
        write(out, entry.getValue());
      }
      out.append('}');
    } else if (value instanceof List) {
      out.append('[');
      boolean first = true;
      for (Object item : (List<Object>) value) {
        if (!first) out.append(',');
        first = false;
        write(out, item);
      }
      out.append(']');
    } else {
      throw new IllegalArgumentException("cannot write " + value.getClass());
    }
  }

  // ASCII only: everything else as \\u escapes, so lone surrogates stay visible as such.
  private static void quote(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c == '\n') {
        out.append("\\n");
      } else if (c >= 0x20 && c < 0x7f) {
        out.append(c);
      } else {
        out.append(String.format("\\u%04x", (int) c));
      }
    }
    out.append('"');
  }

  // ----------------------------------------------------------------------------------------------
  // Request lines: strict UTF-8; each byte of an invalid sequence becomes U+DC00 + byte.

  static String decodeLine(byte[] bytes) {
    StringBuilder out = new StringBuilder(bytes.length);
    for (int i = 0; i < bytes.length;) {
      int length = sequenceLength(bytes, i);
      if (length == 0) {
        out.append((char) (0xdc00 + (bytes[i] & 0xff)));
        i++;
      } else {
        out.append(new String(bytes, i, length, StandardCharsets.UTF_8));
        i += length;
      }
    }
    return out.toString();
  }

  private static int sequenceLength(byte[] bytes, int i) {
    int lead = bytes[i] & 0xff;
    int length;
    int min;
    if (lead < 0x80) return 1;
    if (lead >= 0xc2 && lead <= 0xdf) {
      length = 2;
      min = 0x80;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      min = 0x800;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      min = 0x10000;
    } else {
      return 0;
    }
    if (i + length > bytes.length) return 0;
    int codePoint = lead & (0xff >> (length + 1));
    for (int k = 1; k < length; k++) {
      int b = bytes[i + k] & 0xff;
      if ((b & 0xc0) != 0x80) return 0;
      codePoint = (codePoint << 6) | (b & 0x3f);
    }
    boolean surrogate = codePoint >= 0xd800 && codePoint <= 0xdfff;
    return codePoint < min || codePoint > 0x10ffff || surrogate ? 0 : length;
  }

  // True when every surrogate of `s` is half of a pair (the text is representable as UTF-8).
  static boolean wellFormed(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return false;
      }
    }
    return true;
  }
}
