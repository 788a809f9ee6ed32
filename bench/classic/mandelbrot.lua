-- mandelbrot: the Mandelbrot set as a 1-bit-per-pixel bitmap. Ported from the
-- Computer Language Benchmarks Game's Python 3 program #3 (see README.md).
-- Lua has no complex numbers: z = z * z + c is written on the real and
-- imaginary parts, and abs(z) >= 2 as |z|^2 >= 4.
-- Prints the number of bytes, their sum and a polynomial hash of them.

local SIZE = 600

local function main(size)
  local out = {}
  local bit = 128
  local byte_acc = 0

  local fsize = size + 0.0
  for y = 0, size - 1 do
    local ci = 2.0 * y / fsize - 1.0
    for x = 0, size - 1 do
      local zr, zi = 0.0, 0.0
      local cr = 2.0 * x / fsize - 1.5

      local escaped = false
      for i = 1, 50 do
        local nr = zr * zr - zi * zi + cr
        zi = zr * zi + zi * zr + ci
        zr = nr
        if zr * zr + zi * zi >= 4.0 then
          escaped = true
          break
        end
      end
      if not escaped then
        byte_acc = byte_acc + bit
      end

      if bit > 1 then
        bit = bit >> 1
      else
        out[#out + 1] = byte_acc
        bit = 128
        byte_acc = 0
      end
    end
    if bit ~= 128 then
      out[#out + 1] = byte_acc
      bit = 128
      byte_acc = 0
    end
  end

  local h, s = 0, 0
  for _, b in ipairs(out) do
    h = (h * 31 + b) % 1000000007
    s = s + b
  end
  print(string.format("P4 %d %d: %d bytes, sum %d, hash %d", size, size, #out, s, h))
end

main(SIZE)
