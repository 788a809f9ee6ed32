-- chaos: a "chaos game" drawing a fractal from random transformations along
-- three B-splines (de Boor's algorithm). Ported from pyperformance's bm_chaos
-- (see README.md), with the same small random number generator as the
-- Python and memo versions; classes are metatables (__add, __sub, __mul,
-- and __call for the callable Spline), tuples are tables.

local THICKNESS = 0.25
local WIDTH = 256
local HEIGHT = 256
local ITERATIONS = 60000
local RNG_SEED = 1234

local _seed = 0

local function rand_seed(s)
  _seed = s
end

local function rand_random()
  _seed = (_seed * 1103515245 + 12345) % 2147483648
  return _seed / 2147483648.0
end

local function trunc(x)
  if x >= 0 then return math.floor(x) else return math.ceil(x) end
end

local function rand_randrange(n)
  return trunc(rand_random() * n)
end

local GVector = {}
GVector.__index = GVector

function GVector.new(x, y, z)
  return setmetatable({x = x or 0, y = y or 0, z = z or 0}, GVector)
end

function GVector:Mag()
  return (self.x ^ 2 + self.y ^ 2 + self.z ^ 2) ^ 0.5
end

function GVector:dist(other)
  return ((self.x - other.x) ^ 2
          + (self.y - other.y) ^ 2
          + (self.z - other.z) ^ 2) ^ 0.5
end

function GVector.__add(self, other)
  if getmetatable(other) ~= GVector then
    error("Can't add GVector to " .. type(other))
  end
  return GVector.new(self.x + other.x, self.y + other.y, self.z + other.z)
end

function GVector.__mul(self, other)
  if type(self) == "number" then self, other = other, self end  -- __rmul__
  return GVector.new(self.x * other, self.y * other, self.z * other)
end

function GVector.__sub(self, other)
  return self + other * -1
end

function GVector:linear_combination(other, l1, l2)
  if l2 == nil then
    l2 = 1 - l1
  end
  return GVector.new(self.x * l1 + other.x * l2,
                     self.y * l1 + other.y * l2,
                     self.z * l1 + other.z * l2)
end

-- A B-spline of the given degree over its control points and knots
-- (0-based indices as in Python: element k of a table is at k + 1).
local Spline = {}
Spline.__index = Spline

function Spline.new(points, degree, knots)
  if #points > #knots - degree + 1 then
    error("too many control points")
  elseif #points < #knots - degree + 1 then
    error("not enough control points")
  end
  local last = knots[1]
  for k = 2, #knots do
    local cur = knots[k]
    if cur < last then
      error("knots not strictly increasing")
    end
    last = cur
  end
  return setmetatable({knots = knots, points = points, degree = degree}, Spline)
end

function Spline:GetDomain()
  return {self.knots[self.degree], self.knots[#self.knots - self.degree + 1]}
end

-- Spline.__call__: a point of the spline, by de Boor's algorithm.
function Spline.__call(self, u)
  local dom = self:GetDomain()
  if u < dom[1] or u > dom[2] then
    error("Function value not in domain")
  end
  if u == dom[1] then
    return self.points[1]
  end
  if u == dom[2] then
    return self.points[#self.points]
  end
  local I = self:GetIndex(u)
  local d = {}
  for ii = 0, self.degree do
    d[ii + 1] = self.points[I - self.degree + 1 + ii + 1]
  end
  local U = self.knots
  for ik = 1, self.degree do
    for ii = I - self.degree + ik + 1, I + 1 do
      local ua = U[ii + self.degree - ik + 1]
      local ub = U[ii - 1 + 1]
      local co1 = (ua - u) / (ua - ub)
      local co2 = (u - ub) / (ua - ub)
      local index = ii - I + self.degree - ik - 1
      d[index + 1] = d[index + 1]:linear_combination(d[index + 2], co1, co2)
    end
  end
  return d[1]
end

function Spline:GetIndex(u)
  local dom = self:GetDomain()
  for ii = self.degree - 1, #self.knots - self.degree - 1 do
    if u >= self.knots[ii + 1] and u < self.knots[ii + 2] then
      return ii
    end
  end
  return dom[2] - 1
end

local Chaosgame = {}
Chaosgame.__index = Chaosgame

function Chaosgame.new(splines, thickness)
  local self = setmetatable({splines = splines, thickness = thickness or 0.1}, Chaosgame)
  local xs, ys = {}, {}
  for _, spl in ipairs(splines) do
    for _, p in ipairs(spl.points) do
      xs[#xs + 1] = p.x
      ys[#ys + 1] = p.y
    end
  end
  self.minx = math.min(table.unpack(xs))
  self.miny = math.min(table.unpack(ys))
  self.maxx = math.max(table.unpack(xs))
  self.maxy = math.max(table.unpack(ys))
  self.height = self.maxy - self.miny
  self.width = self.maxx - self.minx
  self.num_trafos = {}
  local maxlength = thickness * self.width / self.height
  for _, spl in ipairs(splines) do
    local length = 0
    local curr = spl(0)
    for i = 1, 999 do
      local last = curr
      local t = 1 / 999 * i
      curr = spl(t)
      length = length + curr:dist(last)
    end
    self.num_trafos[#self.num_trafos + 1] = math.max(1, trunc(length / maxlength * 1.5))
  end
  local total = 0
  for _, n in ipairs(self.num_trafos) do total = total + n end
  self.num_total = total
  return self
end

function Chaosgame:get_random_trafo()
  local r = rand_randrange(trunc(self.num_total) + 1)
  local l = 0
  for i = 0, #self.num_trafos - 1 do
    local n = self.num_trafos[i + 1]
    if r >= l and r < l + n then
      return {i, rand_randrange(n)}
    end
    l = l + n
  end
  return {#self.num_trafos - 1, rand_randrange(self.num_trafos[#self.num_trafos])}
end

function Chaosgame:transform_point(point, trafo)
  local x = (point.x - self.minx) / self.width
  local y = (point.y - self.miny) / self.height
  if trafo == nil then
    trafo = self:get_random_trafo()
  end
  local spline = self.splines[trafo[1] + 1]
  local dom = spline:GetDomain()
  local start, finish = dom[1], dom[2]
  local length = finish - start
  local seg_length = length / self.num_trafos[trafo[1] + 1]
  local t = start + seg_length * trafo[2] + seg_length * x
  local basepoint = spline(t)
  local derivative
  if t + 1 / 50000 > finish then
    local neighbour = spline(t - 1 / 50000)
    derivative = neighbour - basepoint
  else
    local neighbour = spline(t + 1 / 50000)
    derivative = basepoint - neighbour
  end
  if derivative:Mag() ~= 0 then
    basepoint.x = basepoint.x + derivative.y / derivative:Mag() * (y - 0.5) *
      self.thickness
    basepoint.y = basepoint.y + -derivative.x / derivative:Mag() * (y - 0.5) *
      self.thickness
  else
    io.write("r")
  end
  self:truncate(basepoint)
  return basepoint
end

function Chaosgame:truncate(point)
  if point.x >= self.maxx then
    point.x = self.maxx
  end
  if point.y >= self.maxy then
    point.y = self.maxy
  end
  if point.x < self.minx then
    point.x = self.minx
  end
  if point.y < self.miny then
    point.y = self.miny
  end
end

function Chaosgame:create_image_chaos(w, h, iterations, rng_seed)
  -- the same sequence of random numbers every time
  rand_seed(rng_seed)
  local im = {}
  for i = 1, w do
    local column = {}
    for j = 1, h do column[j] = 1 end
    im[i] = column
  end
  local point = GVector.new((self.maxx + self.minx) / 2, (self.maxy + self.miny) / 2, 0)
  for _ = 1, iterations do
    point = self:transform_point(point)
    local x = (point.x - self.minx) / self.width * w
    local y = (point.y - self.miny) / self.height * h
    x = trunc(x)
    y = trunc(y)
    if x == w then
      x = x - 1
    end
    if y == h then
      y = y - 1
    end
    im[x + 1][h - y] = 0
  end
  return im, point
end

local function main()
  local splines = {
    Spline.new({
      GVector.new(1.597350, 3.304460, 0.000000),
      GVector.new(1.575810, 4.123260, 0.000000),
      GVector.new(1.313210, 5.288350, 0.000000),
      GVector.new(1.618900, 5.329910, 0.000000),
      GVector.new(2.889940, 5.502700, 0.000000),
      GVector.new(2.373060, 4.381830, 0.000000),
      GVector.new(1.662000, 4.360280, 0.000000)},
      3, {0, 0, 0, 1, 1, 1, 2, 2, 2}),
    Spline.new({
      GVector.new(2.804500, 4.017350, 0.000000),
      GVector.new(2.550500, 3.525230, 0.000000),
      GVector.new(1.979010, 2.620360, 0.000000),
      GVector.new(1.979010, 2.620360, 0.000000)},
      3, {0, 0, 0, 1, 1, 1}),
    Spline.new({
      GVector.new(2.001670, 4.011320, 0.000000),
      GVector.new(2.335040, 3.312830, 0.000000),
      GVector.new(2.366800, 3.233460, 0.000000),
      GVector.new(2.366800, 3.233460, 0.000000)},
      3, {0, 0, 0, 1, 1, 1}),
  }
  local chaos = Chaosgame.new(splines, THICKNESS)
  local im, point = chaos:create_image_chaos(WIDTH, HEIGHT, ITERATIONS, RNG_SEED)
  local black, h = 0, 0
  for i = 0, WIDTH - 1 do
    for j = 0, HEIGHT - 1 do
      if im[i + 1][j + 1] == 0 then
        black = black + 1
        h = (h * 31 + i * HEIGHT + j) % 1000000007
      end
    end
  end
  print(string.format("trafos %s, black pixels %d, hash %d", table.concat(chaos.num_trafos, " "), black, h))
  print(string.format("last point %d %d", trunc(point.x * 1e9), trunc(point.y * 1e9)))
end

main()
