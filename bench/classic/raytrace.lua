-- raytrace: a simple ray tracer (spheres, a checkerboard half-space, two
-- lights, reflections). Ported from pyperformance's bm_raytrace (see
-- README.md), the classes as metatables with __add / __sub / __eq; tuples
-- are tables, keyword arguments a table.

local WIDTH = 150
local HEIGHT = 150
local EPSILON = 0.00001

local function class(parent)
  local c = {}
  c.__index = c
  if parent then setmetatable(c, {__index = parent}) end
  return c
end

local Vector = class()
local Point = class()

function Vector.new(x, y, z) return setmetatable({x = x, y = y, z = z}, Vector) end
function Point.new(x, y, z) return setmetatable({x = x, y = y, z = z}, Point) end

function Vector:magnitude() return math.sqrt(self:dot(self)) end

function Vector.__add(self, other)
  if other:isPoint() then
    return Point.new(self.x + other.x, self.y + other.y, self.z + other.z)
  end
  return Vector.new(self.x + other.x, self.y + other.y, self.z + other.z)
end

function Vector.__sub(self, other)
  other:mustBeVector()
  return Vector.new(self.x - other.x, self.y - other.y, self.z - other.z)
end

function Vector:scale(factor)
  return Vector.new(factor * self.x, factor * self.y, factor * self.z)
end

function Vector:dot(other)
  other:mustBeVector()
  return (self.x * other.x) + (self.y * other.y) + (self.z * other.z)
end

function Vector:cross(other)
  other:mustBeVector()
  return Vector.new(self.y * other.z - self.z * other.y,
                    self.z * other.x - self.x * other.z,
                    self.x * other.y - self.y * other.x)
end

function Vector:normalized() return self:scale(1.0 / self:magnitude()) end
function Vector:negated() return self:scale(-1) end

function Vector.__eq(self, other)
  return (self.x == other.x) and (self.y == other.y) and (self.z == other.z)
end

function Vector:isVector() return true end
function Vector:isPoint() return false end
function Vector:mustBeVector() return self end
function Vector:mustBePoint() error('Vectors are not points!') end

function Vector:reflectThrough(normal)
  local d = normal:scale(self:dot(normal))
  return self - d:scale(2)
end

Vector.ZERO = Vector.new(0, 0, 0)
Vector.RIGHT = Vector.new(1, 0, 0)
Vector.UP = Vector.new(0, 1, 0)
Vector.OUT = Vector.new(0, 0, 1)

assert(Vector.RIGHT:reflectThrough(Vector.UP) == Vector.RIGHT)
assert(Vector.new(-1, -1, 0):reflectThrough(Vector.UP) == Vector.new(-1, 1, 0))

function Point.__add(self, other)
  other:mustBeVector()
  return Point.new(self.x + other.x, self.y + other.y, self.z + other.z)
end

function Point.__sub(self, other)
  if other:isPoint() then
    return Vector.new(self.x - other.x, self.y - other.y, self.z - other.z)
  end
  return Point.new(self.x - other.x, self.y - other.y, self.z - other.z)
end

function Point:isVector() return false end
function Point:isPoint() return true end
function Point:mustBeVector() error('Points are not vectors!') end
function Point:mustBePoint() return self end

local Sphere = class()

function Sphere.new(centre, radius)
  centre:mustBePoint()
  return setmetatable({centre = centre, radius = radius}, Sphere)
end

function Sphere:intersectionTime(ray)
  local cp = self.centre - ray.point
  local v = cp:dot(ray.vector)
  local discriminant = (self.radius * self.radius) - (cp:dot(cp) - v * v)
  if discriminant < 0 then
    return nil
  end
  return v - math.sqrt(discriminant)
end

function Sphere:normalAt(p) return (p - self.centre):normalized() end

local Halfspace = class()

function Halfspace.new(point, normal)
  return setmetatable({point = point, normal = normal:normalized()}, Halfspace)
end

function Halfspace:intersectionTime(ray)
  local v = ray.vector:dot(self.normal)
  if v ~= 0 then
    return 1 / -v
  end
  return nil
end

function Halfspace:normalAt(p) return self.normal end

local Ray = class()

function Ray.new(point, vector)
  return setmetatable({point = point, vector = vector:normalized()}, Ray)
end

function Ray:pointAtTime(t) return self.point + self.vector:scale(t) end

Point.ZERO = Point.new(0, 0, 0)

local Canvas = class()

function Canvas.new(width, height)
  local bytes = {}
  for i = 1, width * height * 3 do bytes[i] = 0 end
  for i = 0, width * height - 1 do bytes[i * 3 + 3] = 255 end
  return setmetatable({bytes = bytes, width = width, height = height}, Canvas)
end

local function trunc(x)
  if x >= 0 then return math.floor(x) else return math.ceil(x) end
end

function Canvas:plot(x, y, r, g, b)
  local i = ((self.height - y - 1) * self.width + x) * 3 + 1
  self.bytes[i] = math.max(0, math.min(255, trunc(r * 255)))
  self.bytes[i + 1] = math.max(0, math.min(255, trunc(g * 255)))
  self.bytes[i + 2] = math.max(0, math.min(255, trunc(b * 255)))
end

local function firstIntersection(intersections)
  local result = nil
  for _, i in ipairs(intersections) do
    local candidateT = i[2]
    if candidateT ~= nil and candidateT > -EPSILON then
      if result == nil or candidateT < result[2] then
        result = i
      end
    end
  end
  return result
end

local Scene = class()

function Scene.new()
  return setmetatable({objects = {}, lightPoints = {}, position = Point.new(0, 1.8, 10),
                       lookingAt = Point.ZERO, fieldOfView = 45, recursionDepth = 0}, Scene)
end

function Scene:moveTo(p) self.position = p end
function Scene:lookAt(p) self.lookingAt = p end
function Scene:addObject(object, surface) self.objects[#self.objects + 1] = {object, surface} end
function Scene:addLight(p) self.lightPoints[#self.lightPoints + 1] = p end

function Scene:render(canvas)
  local fovRadians = math.pi * (self.fieldOfView / 2.0) / 180.0
  local halfWidth = math.tan(fovRadians)
  local halfHeight = 0.75 * halfWidth
  local width = halfWidth * 2
  local height = halfHeight * 2
  local pixelWidth = width / (canvas.width - 1)
  local pixelHeight = height / (canvas.height - 1)

  local eye = Ray.new(self.position, self.lookingAt - self.position)
  local vpRight = eye.vector:cross(Vector.UP):normalized()
  local vpUp = vpRight:cross(eye.vector):normalized()

  for y = 0, canvas.height - 1 do
    for x = 0, canvas.width - 1 do
      local xcomp = vpRight:scale(x * pixelWidth - halfWidth)
      local ycomp = vpUp:scale(y * pixelHeight - halfHeight)
      local ray = Ray.new(eye.point, eye.vector + xcomp + ycomp)
      local colour = self:rayColour(ray)
      canvas:plot(x, y, table.unpack(colour))
    end
  end
end

function Scene:rayColour(ray)
  if self.recursionDepth > 3 then
    return {0, 0, 0}
  end
  self.recursionDepth = self.recursionDepth + 1
  local intersections = {}
  for k, os in ipairs(self.objects) do
    intersections[k] = {os[1], os[1]:intersectionTime(ray), os[2]}
  end
  local i = firstIntersection(intersections)
  local colour
  if i == nil then
    colour = {0, 0, 0}  -- the background colour
  else
    local o, t, s = i[1], i[2], i[3]
    local p = ray:pointAtTime(t)
    colour = s:colourAt(self, ray, p, o:normalAt(p))
  end
  self.recursionDepth = self.recursionDepth - 1  -- Python: finally
  return colour
end

function Scene:_lightIsVisible(l, p)
  for _, os in ipairs(self.objects) do
    local t = os[1]:intersectionTime(Ray.new(p, l - p))
    if t ~= nil and t > EPSILON then
      return false
    end
  end
  return true
end

function Scene:visibleLights(p)
  local result = {}
  for _, l in ipairs(self.lightPoints) do
    if self:_lightIsVisible(l, p) then
      result[#result + 1] = l
    end
  end
  return result
end

local function addColours(a, scale, b)
  return {a[1] + scale * b[1],
          a[2] + scale * b[2],
          a[3] + scale * b[3]}
end

local function kwarg(kwargs, name, default)
  local v = kwargs[name]
  if v == nil then return default end
  return v
end

local SimpleSurface = class()

function SimpleSurface.init(self, kwargs)
  self.baseColour = kwarg(kwargs, 'baseColour', {1, 1, 1})
  self.specularCoefficient = kwarg(kwargs, 'specularCoefficient', 0.2)
  self.lambertCoefficient = kwarg(kwargs, 'lambertCoefficient', 0.6)
  self.ambientCoefficient = 1.0 - self.specularCoefficient - self.lambertCoefficient
  return self
end

function SimpleSurface.new(kwargs) return SimpleSurface.init(setmetatable({}, SimpleSurface), kwargs) end

function SimpleSurface:baseColourAt(p) return self.baseColour end

function SimpleSurface:colourAt(scene, ray, p, normal)
  local b = self:baseColourAt(p)

  local c = {0, 0, 0}
  if self.specularCoefficient > 0 then
    local reflectedRay = Ray.new(p, ray.vector:reflectThrough(normal))
    local reflectedColour = scene:rayColour(reflectedRay)
    c = addColours(c, self.specularCoefficient, reflectedColour)
  end

  if self.lambertCoefficient > 0 then
    local lambertAmount = 0
    for _, lightPoint in ipairs(scene:visibleLights(p)) do
      local contribution = (lightPoint - p):normalized():dot(normal)
      if contribution > 0 then
        lambertAmount = lambertAmount + contribution
      end
    end
    lambertAmount = math.min(1, lambertAmount)
    c = addColours(c, self.lambertCoefficient * lambertAmount, b)
  end

  if self.ambientCoefficient > 0 then
    c = addColours(c, self.ambientCoefficient, b)
  end
  return c
end

local CheckerboardSurface = class(SimpleSurface)

function CheckerboardSurface.new(kwargs)
  local self = SimpleSurface.init(setmetatable({}, CheckerboardSurface), kwargs)
  self.otherColour = kwarg(kwargs, 'otherColour', {0, 0, 0})
  self.checkSize = kwarg(kwargs, 'checkSize', 1)
  return self
end

function CheckerboardSurface:baseColourAt(p)
  local v = p - Point.ZERO
  v:scale(1.0 / self.checkSize)
  if (trunc(math.abs(v.x) + 0.5) + trunc(math.abs(v.y) + 0.5) + trunc(math.abs(v.z) + 0.5)) % 2 ~= 0 then
    return self.otherColour
  end
  return self.baseColour
end

local function main(width, height)
  local canvas = Canvas.new(width, height)
  local s = Scene.new()
  s:addLight(Point.new(30, 30, 10))
  s:addLight(Point.new(-10, 100, 30))
  s:lookAt(Point.new(0, 3, 0))
  s:addObject(Sphere.new(Point.new(1, 3, -10), 2), SimpleSurface.new({baseColour = {1, 1, 0}}))
  for y = 0, 5 do
    s:addObject(Sphere.new(Point.new(-3 - y * 0.4, 2.3, -5), 0.4),
                SimpleSurface.new({baseColour = {y / 6.0, 1 - y / 6.0, 0.5}}))
  end
  s:addObject(Halfspace.new(Point.new(0, 0, 0), Vector.UP), CheckerboardSurface.new({}))
  s:render(canvas)

  local h, total = 0, 0
  for _, b in ipairs(canvas.bytes) do
    h = (h * 31 + b) % 1000000007
    total = total + b
  end
  print(string.format("%dx%d picture: %d bytes, sum %d, hash %d", width, height, #canvas.bytes, total, h))
end

main(WIDTH, HEIGHT)
