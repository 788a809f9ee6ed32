# mandelbrot: the Mandelbrot set as a 1-bit-per-pixel bitmap; prints the
# number of bytes, their sum and a polynomial hash of them.
#
# A translation into Python of this suite's memo and Lua ports
# (mandelbrot.memo, mandelbrot.lua), written for this suite; the program
# follows the Computer Language Benchmarks Game's mandelbrot benchmark (no
# code from it is copied here). As in the ports, z = z * z + c is computed on
# the real and imaginary parts and abs(z) >= 2 is tested as |z|^2 >= 4, so
# the three versions do the same float operations.

SIZE = 600


def main(size):
    out = []
    bit = 128
    byte_acc = 0

    fsize = float(size)
    for y in range(size):
        ci = 2.0 * y / fsize - 1.0
        for x in range(size):
            zr = zi = 0.0
            cr = 2.0 * x / fsize - 1.5
            for _ in range(50):
                nr = zr * zr - zi * zi + cr
                zi = zr * zi + zi * zr + ci
                zr = nr
                if zr * zr + zi * zi >= 4.0:
                    break
            else:
                byte_acc += bit

            if bit > 1:
                bit >>= 1
            else:
                out.append(byte_acc)
                bit = 128
                byte_acc = 0
        if bit != 128:
            out.append(byte_acc)
            bit = 128
            byte_acc = 0

    h = 0
    for b in out:
        h = (h * 31 + b) % 1000000007
    print(f"P4 {size} {size}: {len(out)} bytes, sum {sum(out)}, hash {h}")


main(SIZE)
