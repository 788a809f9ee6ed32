# String processing: build 100,000 words into a text, split it back into
# lines and words, transform (upper, replace, contains), count in a dict.
def main():
    syl = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi"]
    lines = []
    for l in range(10_000):
        words = []
        for j in range(10):
            i = l * 10 + j
            words.append(syl[i % 8] + syl[(i // 8) % 8] + syl[(i // 64) % 8])
        lines.append(" ".join(words))
    text = "\n".join(lines)
    counts = {}
    chars = 0
    hits = 0
    for line in text.split("\n"):
        for w in line.split(" "):
            counts[w] = counts.get(w, 0) + 1
            t = w.upper()
            if "ka" in w:
                hits += 1
                t = t.replace("KA", "KHA")
            chars += len(t)
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    print("bytes", len(text), "distinct", len(counts), "with ka", hits, "chars", chars)
    for w, c in top[:5]:
        print(w, c)
    print(lines[1234].replace(" ", "-").upper())


main()
