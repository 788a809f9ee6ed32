# nqueens: brute-force N-queens, by filtering all permutations of the
# columns (8! of them) for those with no two queens on a diagonal.
#
# A translation into Python of this suite's memo and Lua ports
# (nqueens.memo, nqueens.lua), written for this suite; the program follows
# pyperformance's nqueens benchmark (no code from it is copied here).
# permutations() is the ports' written-out equivalent of
# itertools.permutations, here a generator again (the ports, lacking
# generators, return lists); the distinct-diagonal tests are sets.

QUEENS = 8
REPEAT = 8


def permutations(iterable, r=None):
    """itertools.permutations(iterable, r), written out."""
    pool = tuple(iterable)
    n = len(pool)
    if r is None:
        r = n
    indices = list(range(n))
    cycles = list(range(n, n - r, -1))
    yield tuple(pool[i] for i in indices[:r])
    while n:
        for i in reversed(range(r)):
            cycles[i] -= 1
            if cycles[i] == 0:
                indices[i:] = indices[i + 1:] + indices[i:i + 1]
                cycles[i] = n - i
            else:
                j = cycles[i]
                indices[i], indices[-j] = indices[-j], indices[i]
                yield tuple(pool[i] for i in indices[:r])
                break
        else:
            return


def n_queens(queen_count):
    """The solutions, as tuples of column positions, one per row."""
    cols = range(queen_count)
    for vec in permutations(cols):
        if (queen_count == len(set(vec[i] + i for i in cols))
                == len(set(vec[i] - i for i in cols))):
            yield vec


def main():
    for _ in range(REPEAT):
        solutions = list(n_queens(QUEENS))
    first = " ".join(map(str, solutions[0]))
    last = " ".join(map(str, solutions[-1]))
    print(f"{len(solutions)} solutions, first {first}, last {last}")


main()
