# Higher-order functions: closures made by make_adder, composition,
# map / filter / reduce over 300,000 elements, calls through closures.
from functools import reduce


def make_adder(n):
    return lambda x: x + n


def compose(f, g):
    return lambda x: g(f(x))


def main():
    n = 300_000
    f = compose(make_adder(3), lambda x: x * 2)
    ys = list(map(f, range(n)))
    zs = list(filter(lambda y: y % 3 == 0, ys))
    total = reduce(lambda acc, z: acc + z, zs, 0)
    adders = list(map(make_adder, range(10)))
    s = 0
    for i in range(n):
        s += adders[i % 10](i)
    chain = reduce(compose, adders, lambda x: x)
    t = 0
    for i in range(n):
        t += chain(i)
    print(len(zs), total, s, t)


main()
