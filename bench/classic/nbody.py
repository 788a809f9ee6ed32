# n-body: a model of the Jovian planets, advanced with a simple symplectic
# integrator; prints the system's energy before and after.
#
# A translation into Python of this suite's memo and Lua ports (nbody.memo,
# nbody.lua), written for this suite; the program follows the Computer
# Language Benchmarks Game's n-body benchmark (no code from it is copied
# here). A body is an object whose attributes change in place; the pairs
# hold the same objects. The energy uses `** 0.5`, as the memo and Lua
# versions do, so all three compute the same floats.

STEPS = 200_000

PI = 3.14159265358979323
SOLAR_MASS = 4 * PI * PI
DAYS_PER_YEAR = 365.24


class Body:
    def __init__(self, x, y, z, vx, vy, vz, mass):
        self.x = x
        self.y = y
        self.z = z
        self.vx = vx
        self.vy = vy
        self.vz = vz
        self.mass = mass


def make_system():
    return [
        Body(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, SOLAR_MASS),
        Body(4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
             1.66007664274403694e-03 * DAYS_PER_YEAR, 7.69901118419740425e-03 * DAYS_PER_YEAR,
             -6.90460016972063023e-05 * DAYS_PER_YEAR,
             9.54791938424326609e-04 * SOLAR_MASS),
        Body(8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
             -2.76742510726862411e-03 * DAYS_PER_YEAR, 4.99852801234917238e-03 * DAYS_PER_YEAR,
             2.30417297573763929e-05 * DAYS_PER_YEAR,
             2.85885980666130812e-04 * SOLAR_MASS),
        Body(1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
             2.96460137564761618e-03 * DAYS_PER_YEAR, 2.37847173959480950e-03 * DAYS_PER_YEAR,
             -2.96589568540237556e-05 * DAYS_PER_YEAR,
             4.36624404335156298e-05 * SOLAR_MASS),
        Body(1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
             2.68067772490389322e-03 * DAYS_PER_YEAR, 1.62824170038242295e-03 * DAYS_PER_YEAR,
             -9.51592254519715870e-05 * DAYS_PER_YEAR,
             5.15138902046611451e-05 * SOLAR_MASS),
    ]


def combinations(bodies):
    """Every unordered pair of bodies, in order."""
    return [(b1, b2) for i, b1 in enumerate(bodies) for b2 in bodies[i + 1:]]


def advance(dt, n, bodies, pairs):
    for _ in range(n):
        for b1, b2 in pairs:
            dx = b1.x - b2.x
            dy = b1.y - b2.y
            dz = b1.z - b2.z
            mag = dt * ((dx * dx + dy * dy + dz * dz) ** -1.5)
            b1m = b1.mass * mag
            b2m = b2.mass * mag
            b1.vx -= dx * b2m
            b1.vy -= dy * b2m
            b1.vz -= dz * b2m
            b2.vx += dx * b1m
            b2.vy += dy * b1m
            b2.vz += dz * b1m
        for b in bodies:
            b.x += dt * b.vx
            b.y += dt * b.vy
            b.z += dt * b.vz


def report_energy(bodies, pairs):
    e = 0.0
    for b1, b2 in pairs:
        dx = b1.x - b2.x
        dy = b1.y - b2.y
        dz = b1.z - b2.z
        e -= (b1.mass * b2.mass) / ((dx * dx + dy * dy + dz * dz) ** 0.5)
    for b in bodies:
        e += b.mass * (b.vx * b.vx + b.vy * b.vy + b.vz * b.vz) / 2.0
    print(f"energy {int(e * 1e9)}")


def offset_momentum(ref, bodies):
    px = py = pz = 0.0
    for b in bodies:
        px -= b.vx * b.mass
        py -= b.vy * b.mass
        pz -= b.vz * b.mass
    ref.vx = px / ref.mass
    ref.vy = py / ref.mass
    ref.vz = pz / ref.mass


def main(n):
    system = make_system()
    pairs = combinations(system)
    offset_momentum(system[0], system)
    report_energy(system, pairs)
    advance(0.01, n, system, pairs)
    report_energy(system, pairs)


main(STEPS)
