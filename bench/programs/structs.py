# Struct-heavy code: 500,000 points (a class with __slots__) created,
# fields updated, integer distances summed.
class Point:
    __slots__ = ("x", "y")

    def __init__(self, x, y):
        self.x = x
        self.y = y


def main():
    pts = []
    for i in range(500_000):
        pts.append(Point(i % 1000, (i * 7) % 1000))
    prev = Point(0, 0)
    manhattan = 0
    squared = 0
    sx = 0
    sy = 0
    for p in pts:
        p.x = p.x + 1
        p.y = (p.y * 3) % 1000
        dx = p.x - prev.x
        dy = p.y - prev.y
        manhattan += abs(dx) + abs(dy)
        squared += dx * dx + dy * dy
        sx += p.x
        sy += p.y
        prev = p
    print(manhattan, squared, sx // len(pts), sy // len(pts), prev.x, prev.y)


main()
