# binary-trees: allocate and walk many perfect binary trees.
#
# A translation into Python of this suite's memo and Lua ports
# (binary_trees.memo, binary_trees.lua), written for this suite; the program
# follows the Computer Language Benchmarks Game's binary-trees benchmark,
# single-threaded (no code from it is copied here). A node is the tuple
# (item, left, right); the argument chunks come from a generator.

N = 14


def make_tree(i, d):
    if d > 0:
        i2 = i + i
        d -= 1
        return (i, make_tree(i2 - 1, d), make_tree(i2, d))
    return (i, None, None)


def check_tree(node):
    i, l, r = node
    if l is None:
        return i
    return i + check_tree(l) - check_tree(r)


def make_check(itde):
    i, d = itde
    return check_tree(make_tree(i, d))


def get_argchunks(i, d, chunksize=5000):
    chunk = []
    for k in range(1, i + 1):
        chunk.extend([(k, d), (-k, d)])
        if len(chunk) == chunksize:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def main(n):
    min_depth = 4
    max_depth = max(min_depth + 2, n)
    stretch_depth = max_depth + 1

    print(f"stretch tree of depth {stretch_depth}\t check: {make_check((0, stretch_depth))}")

    long_lived_tree = make_tree(0, max_depth)

    mmd = max_depth + min_depth
    for d in range(min_depth, stretch_depth, 2):
        i = 2 ** (mmd - d)
        cs = 0
        for argchunk in get_argchunks(i, d):
            cs += sum(map(make_check, argchunk))
        print(f"{i * 2}\t trees of depth {d}\t check: {cs}")

    print(f"long lived tree of depth {max_depth}\t check: {check_tree(long_lived_tree)}")


main(N)
