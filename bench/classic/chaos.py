# chaos: a "chaos game" drawing a fractal from random transformations along
# three B-splines (de Boor's algorithm); prints the number of transformations
# per spline, the number and a hash of the black pixels, and the last point.
#
# A translation into Python of this suite's memo and Lua ports (chaos.memo,
# chaos.lua), written for this suite; the program follows pyperformance's
# chaos benchmark (no code from it is copied here). As in the ports, the
# random numbers come from the small linear congruential generator below and
# square roots are `** 0.5` (a chaotic iteration amplifies a 1-ulp
# difference, so all three versions compute exactly the same floats). Points
# change in place, and a spline can hand back one of its own control points,
# which then changes too.

THICKNESS = 0.25
WIDTH = 256
HEIGHT = 256
ITERATIONS = 60000
RNG_SEED = 1234

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


class GVector:
    def __init__(self, x=0, y=0, z=0):
        self.x = x
        self.y = y
        self.z = z

    def Mag(self):
        return (self.x ** 2 + self.y ** 2 + self.z ** 2) ** 0.5

    def dist(self, other):
        return ((self.x - other.x) ** 2
                + (self.y - other.y) ** 2
                + (self.z - other.z) ** 2) ** 0.5

    def __add__(self, other):
        if not isinstance(other, GVector):
            raise TypeError(f"Can't add GVector to {type(other)}")
        return GVector(self.x + other.x, self.y + other.y, self.z + other.z)

    def __sub__(self, other):
        return self + other * -1

    def __mul__(self, other):
        return GVector(self.x * other, self.y * other, self.z * other)

    __rmul__ = __mul__

    def linear_combination(self, other, l1, l2=None):
        if l2 is None:
            l2 = 1 - l1
        return GVector(self.x * l1 + other.x * l2,
                       self.y * l1 + other.y * l2,
                       self.z * l1 + other.z * l2)


class Spline:
    """A B-spline of the given degree over its control points and knots."""

    def __init__(self, points, degree, knots):
        if len(points) > len(knots) - degree + 1:
            raise ValueError("too many control points")
        elif len(points) < len(knots) - degree + 1:
            raise ValueError("not enough control points")
        last = knots[0]
        for cur in knots[1:]:
            if cur < last:
                raise ValueError("knots not strictly increasing")
            last = cur
        self.knots = knots
        self.points = points
        self.degree = degree

    def GetDomain(self):
        return (self.knots[self.degree - 1], self.knots[len(self.knots) - self.degree])

    def __call__(self, u):
        """A point of the spline, by de Boor's algorithm."""
        dom = self.GetDomain()
        if u < dom[0] or u > dom[1]:
            raise ValueError("Function value not in domain")
        if u == dom[0]:
            return self.points[0]
        if u == dom[1]:
            return self.points[-1]
        I = self.GetIndex(u)
        d = [self.points[I - self.degree + 1 + ii] for ii in range(self.degree + 1)]
        U = self.knots
        for ik in range(1, self.degree + 1):
            for ii in range(I - self.degree + ik + 1, I + 2):
                ua = U[ii + self.degree - ik]
                ub = U[ii - 1]
                co1 = (ua - u) / (ua - ub)
                co2 = (u - ub) / (ua - ub)
                index = ii - I + self.degree - ik - 1
                d[index] = d[index].linear_combination(d[index + 1], co1, co2)
        return d[0]

    def GetIndex(self, u):
        dom = self.GetDomain()
        for ii in range(self.degree - 1, len(self.knots) - self.degree):
            if self.knots[ii] <= u < self.knots[ii + 1]:
                return ii
        return dom[1] - 1


class Chaosgame:
    def __init__(self, splines, thickness=0.1):
        self.splines = splines
        self.thickness = thickness
        xs = [p.x for spl in splines for p in spl.points]
        ys = [p.y for spl in splines for p in spl.points]
        self.minx = min(xs)
        self.miny = min(ys)
        self.maxx = max(xs)
        self.maxy = max(ys)
        self.height = self.maxy - self.miny
        self.width = self.maxx - self.minx
        self.num_trafos = []
        maxlength = thickness * self.width / self.height
        for spl in splines:
            length = 0
            curr = spl(0)
            for i in range(1, 1000):
                last = curr
                t = 1.0 / 999 * i
                curr = spl(t)
                length += curr.dist(last)
            self.num_trafos.append(max(1, int(length / maxlength * 1.5)))
        self.num_total = sum(self.num_trafos)

    def get_random_trafo(self):
        r = rand_randrange(int(self.num_total) + 1)
        l = 0
        for i, n in enumerate(self.num_trafos):
            if l <= r < l + n:
                return i, rand_randrange(n)
            l += n
        return len(self.num_trafos) - 1, rand_randrange(self.num_trafos[-1])

    def transform_point(self, point, trafo=None):
        x = (point.x - self.minx) / self.width
        y = (point.y - self.miny) / self.height
        if trafo is None:
            trafo = self.get_random_trafo()
        spline = self.splines[trafo[0]]
        start, end = spline.GetDomain()
        length = end - start
        seg_length = length / self.num_trafos[trafo[0]]
        t = start + seg_length * trafo[1] + seg_length * x
        basepoint = spline(t)
        if t + 1.0 / 50000 > end:
            neighbour = spline(t - 1.0 / 50000)
            derivative = neighbour - basepoint
        else:
            neighbour = spline(t + 1.0 / 50000)
            derivative = basepoint - neighbour
        if derivative.Mag() != 0:
            basepoint.x += derivative.y / derivative.Mag() * (y - 0.5) * self.thickness
            basepoint.y += -derivative.x / derivative.Mag() * (y - 0.5) * self.thickness
        else:
            print("r")
        self.truncate(basepoint)
        return basepoint

    def truncate(self, point):
        if point.x >= self.maxx:
            point.x = self.maxx
        if point.y >= self.maxy:
            point.y = self.maxy
        if point.x < self.minx:
            point.x = self.minx
        if point.y < self.miny:
            point.y = self.miny

    def create_image_chaos(self, w, h, iterations, rng_seed):
        # the same sequence of random numbers every time
        rand_seed(rng_seed)
        im = [[1] * h for _ in range(w)]
        point = GVector((self.maxx + self.minx) / 2, (self.maxy + self.miny) / 2, 0)
        for _ in range(iterations):
            point = self.transform_point(point)
            x = (point.x - self.minx) / self.width * w
            y = (point.y - self.miny) / self.height * h
            x = int(x)
            y = int(y)
            if x == w:
                x -= 1
            if y == h:
                y -= 1
            im[x][h - y - 1] = 0
        return im, point


def main():
    splines = [
        Spline([
            GVector(1.597350, 3.304460, 0.000000),
            GVector(1.575810, 4.123260, 0.000000),
            GVector(1.313210, 5.288350, 0.000000),
            GVector(1.618900, 5.329910, 0.000000),
            GVector(2.889940, 5.502700, 0.000000),
            GVector(2.373060, 4.381830, 0.000000),
            GVector(1.662000, 4.360280, 0.000000)],
            3, [0, 0, 0, 1, 1, 1, 2, 2, 2]),
        Spline([
            GVector(2.804500, 4.017350, 0.000000),
            GVector(2.550500, 3.525230, 0.000000),
            GVector(1.979010, 2.620360, 0.000000),
            GVector(1.979010, 2.620360, 0.000000)],
            3, [0, 0, 0, 1, 1, 1]),
        Spline([
            GVector(2.001670, 4.011320, 0.000000),
            GVector(2.335040, 3.312830, 0.000000),
            GVector(2.366800, 3.233460, 0.000000),
            GVector(2.366800, 3.233460, 0.000000)],
            3, [0, 0, 0, 1, 1, 1]),
    ]
    chaos = Chaosgame(splines, THICKNESS)
    im, point = chaos.create_image_chaos(WIDTH, HEIGHT, ITERATIONS, RNG_SEED)
    black = 0
    h = 0
    for i in range(WIDTH):
        for j in range(HEIGHT):
            if im[i][j] == 0:
                black += 1
                h = (h * 31 + i * HEIGHT + j) % 1000000007
    print(f"trafos {' '.join(map(str, chaos.num_trafos))}, black pixels {black}, hash {h}")
    print(f"last point {int(point.x * 1e9)} {int(point.y * 1e9)}")


main()
