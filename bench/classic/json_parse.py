# json_parse: a hand-written recursive-descent JSON parser (a Parser object
# with a position, one method per kind of value) reading a generated 470 KB
# document one character at a time, REPEAT times; prints statistics of the
# parsed value.
#
# Written for this suite (no published benchmark behind it), as a
# translation into Python of this suite's memo and Lua versions
# (json_parse.memo, json_parse.lua). The document comes from the same small
# linear congruential generator as in those versions.

RECORDS = 1500
REPEAT = 8

_seed = 0


def rand_seed(s):
    global _seed
    _seed = s


def rand_random():
    global _seed
    _seed = (_seed * 1103515245 + 12345) % 2147483648
    return _seed / 2147483648.0


def rand_randrange(n):
    return int(rand_random() * n)


# ---------------------------------------------------------------- the text

WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta",
         "iota", "kappa", "lambda", "mu"]


def decimal(milli):
    """milli / 1000 written with three decimals."""
    sign = ""
    if milli < 0:
        sign = "-"
        milli = -milli
    return f"{sign}{milli // 1000}.{milli % 1000:03d}"


def word():
    return WORDS[rand_randrange(len(WORDS))]


def gen_record(i, parts):
    add = parts.append
    add(f'{{"id": {i}')
    add(f', "name": "{word()} {word()}"')
    add(f', "email": "{word()}{rand_randrange(1000)}@example.com"')
    add(f', "score": {decimal(rand_randrange(100000))}')
    add(f', "delta": {decimal(rand_randrange(20000) - 10000)}')
    add(f', "active": {"true" if rand_randrange(2) == 0 else "false"}')
    add(', "tags": [')
    for k in range(rand_randrange(5)):
        if k > 0:
            add(", ")
        add(f'"{word()}"')
    add(f'], "address": {{"street": "{rand_randrange(999) + 1} {word()} St"')
    add(f', "city": "{word()}ville", "zip": "{rand_randrange(100000):05d}"}}')
    add(', "history": [')
    for k in range(rand_randrange(8)):
        if k > 0:
            add(", ")
        add(str(rand_randrange(1001) - 500))
    add('], "note": "line one\\nline \\"two\\"\\t\\\\ ' + word() + '"')
    add(', "manager": null}')


def generate(records):
    rand_seed(42)
    parts = ['{"version": 1, "records": [\n']
    for i in range(records):
        if i > 0:
            parts.append(",\n")
        parts.append("  ")
        gen_record(i, parts)
    parts.append("\n]}\n")
    return "".join(parts)


# ---------------------------------------------------------------- the parser

ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


class ParseError(Exception):
    pass


class Parser:
    def __init__(self, text):
        self.text = text
        self.pos = 0

    def error(self, message):
        raise ParseError(f"{message} at offset {self.pos}")

    def skip_ws(self):
        while self.pos < len(self.text) and self.text[self.pos] in " \t\n\r":
            self.pos += 1

    def expect(self, c):
        if self.pos >= len(self.text) or self.text[self.pos] != c:
            self.error("expected " + c)
        self.pos += 1

    def parse(self):
        value = self.parse_value()
        self.skip_ws()
        if self.pos != len(self.text):
            self.error("trailing text")
        return value

    def parse_value(self):
        self.skip_ws()
        if self.pos >= len(self.text):
            self.error("unexpected end")
        c = self.text[self.pos]
        if c == "{":
            return self.parse_object()
        if c == "[":
            return self.parse_array()
        if c == '"':
            return self.parse_string()
        if c == "-" or "0" <= c <= "9":
            return self.parse_number()
        if self.text.startswith("true", self.pos):
            self.pos += 4
            return True
        if self.text.startswith("false", self.pos):
            self.pos += 5
            return False
        if self.text.startswith("null", self.pos):
            self.pos += 4
            return None
        self.error("unexpected character " + c)

    def parse_object(self):
        self.expect("{")
        obj = {}
        self.skip_ws()
        if self.text[self.pos] == "}":
            self.pos += 1
            return obj
        while True:
            self.skip_ws()
            key = self.parse_string()
            self.skip_ws()
            self.expect(":")
            obj[key] = self.parse_value()
            self.skip_ws()
            c = self.text[self.pos]
            self.pos += 1
            if c == "}":
                return obj
            if c != ",":
                self.error("expected , or }")

    def parse_array(self):
        self.expect("[")
        arr = []
        self.skip_ws()
        if self.text[self.pos] == "]":
            self.pos += 1
            return arr
        while True:
            arr.append(self.parse_value())
            self.skip_ws()
            c = self.text[self.pos]
            self.pos += 1
            if c == "]":
                return arr
            if c != ",":
                self.error("expected , or ]")

    def parse_string(self):
        self.expect('"')
        chunks = []
        start = self.pos
        while True:
            if self.pos >= len(self.text):
                self.error("unterminated string")
            c = self.text[self.pos]
            if c == '"':
                chunks.append(self.text[start:self.pos])
                self.pos += 1
                return "".join(chunks)
            if c == "\\":
                chunks.append(self.text[start:self.pos])
                esc = self.text[self.pos + 1]
                if esc not in ESCAPES:
                    self.error("bad escape")
                chunks.append(ESCAPES[esc])
                self.pos += 2
                start = self.pos
            else:
                self.pos += 1

    def is_digit_at(self):
        return self.pos < len(self.text) and "0" <= self.text[self.pos] <= "9"

    def parse_number(self):
        start = self.pos
        is_float = False
        if self.text[self.pos] == "-":
            self.pos += 1
        while self.is_digit_at():
            self.pos += 1
        if self.pos < len(self.text) and self.text[self.pos] == ".":
            is_float = True
            self.pos += 1
            while self.is_digit_at():
                self.pos += 1
        if self.pos < len(self.text) and self.text[self.pos] in "eE":
            is_float = True
            self.pos += 1
            if self.text[self.pos] in "+-":
                self.pos += 1
            while self.is_digit_at():
                self.pos += 1
        s = self.text[start:self.pos]
        if is_float:
            return float(s)
        return int(s)


# ---------------------------------------------------------------- the check

class Stats:
    def __init__(self):
        self.objects = 0
        self.arrays = 0
        self.keys = 0
        self.strings = 0
        self.chars = 0
        self.ints = 0
        self.int_sum = 0
        self.floats = 0
        self.milli_sum = 0
        self.trues = 0
        self.falses = 0
        self.nulls = 0


def walk(v, stats):
    if v is None:
        stats.nulls += 1
    elif isinstance(v, bool):
        if v:
            stats.trues += 1
        else:
            stats.falses += 1
    elif isinstance(v, int):
        stats.ints += 1
        stats.int_sum += v
    elif isinstance(v, float):
        stats.floats += 1
        stats.milli_sum += int(v * 1000)
    elif isinstance(v, str):
        stats.strings += 1
        stats.chars += len(v)
    elif isinstance(v, list):
        stats.arrays += 1
        for x in v:
            walk(x, stats)
    else:
        stats.objects += 1
        for k, x in v.items():
            stats.keys += 1
            stats.chars += len(k)
            walk(x, stats)


def main():
    text = generate(RECORDS)
    for _ in range(REPEAT):
        doc = Parser(text).parse()
    stats = Stats()
    walk(doc, stats)
    print(f"{len(text)} characters, {len(doc['records'])} records")
    print(f"objects {stats.objects}, arrays {stats.arrays}, keys {stats.keys}, "
          f"strings {stats.strings}, chars {stats.chars}")
    print(f"ints {stats.ints} (sum {stats.int_sum}), floats {stats.floats} (sum {stats.milli_sum} / 1000), "
          f"true {stats.trues}, false {stats.falses}, null {stats.nulls}")


main()
