-- json_parse: a hand-written recursive-descent JSON parser (a Parser object
-- with a position, one method per kind of value), run on a generated JSON
-- document. Written for this suite in Python (json_parse.py), ported here:
-- the Parser is a metatable class reading one character at a time with
-- string.sub; JSON arrays and objects are tables marked by the metatables
-- Array and Object, null is the NULL sentinel.

local RECORDS = 1500
local REPEAT = 8

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

-- ---------------------------------------------------------------- the text

local WORDS = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta",
               "iota", "kappa", "lambda", "mu"}

local function pad(n, width)
  local s = tostring(n)
  while #s < width do
    s = "0" .. s
  end
  return s
end

-- milli / 1000 written with three decimals
local function decimal(milli)
  local sign = ""
  if milli < 0 then
    sign = "-"
    milli = -milli
  end
  return sign .. tostring(milli // 1000) .. "." .. pad(milli % 1000, 3)
end

local function word()
  return WORDS[rand_randrange(#WORDS) + 1]
end

local function gen_record(i, parts)
  local function add(s) parts[#parts + 1] = s end
  add('{"id": ' .. tostring(i))
  add(', "name": "' .. word() .. " " .. word() .. '"')
  add(', "email": "' .. word() .. tostring(rand_randrange(1000)) .. '@example.com"')
  add(', "score": ' .. decimal(rand_randrange(100000)))
  add(', "delta": ' .. decimal(rand_randrange(20000) - 10000))
  add(', "active": ' .. (rand_randrange(2) == 0 and "true" or "false"))
  add(', "tags": [')
  for k = 0, rand_randrange(5) - 1 do
    if k > 0 then
      add(', ')
    end
    add('"' .. word() .. '"')
  end
  add('], "address": {"street": "' .. tostring(rand_randrange(999) + 1) .. " " .. word() .. ' St"')
  add(', "city": "' .. word() .. 'ville", "zip": "' .. pad(rand_randrange(100000), 5) .. '"}')
  add(', "history": [')
  for k = 0, rand_randrange(8) - 1 do
    if k > 0 then
      add(', ')
    end
    add(tostring(rand_randrange(1001) - 500))
  end
  add('], "note": "line one\\nline \\"two\\"\\t\\\\ ' .. word() .. '"')
  add(', "manager": null}')
end

local function generate(records)
  rand_seed(42)
  local parts = {'{"version": 1, "records": [\n'}
  for i = 0, records - 1 do
    if i > 0 then
      parts[#parts + 1] = ',\n'
    end
    parts[#parts + 1] = '  '
    gen_record(i, parts)
  end
  parts[#parts + 1] = '\n]}\n'
  return table.concat(parts)
end

-- ---------------------------------------------------------------- the parser

local ESCAPES = {['"'] = '"', ['\\'] = '\\', ['/'] = '/', b = '\b', f = '\f', n = '\n', r = '\r', t = '\t'}
local WHITESPACE = {[' '] = true, ['\t'] = true, ['\n'] = true, ['\r'] = true}
local NULL = setmetatable({}, {__name = "null"})
local Array = {}
local Object = {}

local Parser = {}
Parser.__index = Parser

function Parser.new(text)
  return setmetatable({text = text, pos = 1}, Parser)
end

function Parser:error(message)
  error(string.format("%s at offset %d", message, self.pos - 1))
end

function Parser:skip_ws()
  while self.pos <= #self.text and WHITESPACE[self.text:sub(self.pos, self.pos)] do
    self.pos = self.pos + 1
  end
end

function Parser:expect(c)
  if self.pos > #self.text or self.text:sub(self.pos, self.pos) ~= c then
    self:error("expected " .. c)
  end
  self.pos = self.pos + 1
end

function Parser:parse()
  local value = self:parse_value()
  self:skip_ws()
  if self.pos ~= #self.text + 1 then
    self:error("trailing text")
  end
  return value
end

function Parser:parse_value()
  self:skip_ws()
  if self.pos > #self.text then
    self:error("unexpected end")
  end
  local c = self.text:sub(self.pos, self.pos)
  if c == '{' then
    return self:parse_object()
  end
  if c == '[' then
    return self:parse_array()
  end
  if c == '"' then
    return self:parse_string()
  end
  if c == '-' or (c >= '0' and c <= '9') then
    return self:parse_number()
  end
  if self.text:sub(self.pos, self.pos + 3) == 'true' then
    self.pos = self.pos + 4
    return true
  end
  if self.text:sub(self.pos, self.pos + 4) == 'false' then
    self.pos = self.pos + 5
    return false
  end
  if self.text:sub(self.pos, self.pos + 3) == 'null' then
    self.pos = self.pos + 4
    return NULL
  end
  self:error("unexpected character " .. c)
end

function Parser:parse_object()
  self:expect('{')
  local obj = setmetatable({}, Object)
  self:skip_ws()
  if self.text:sub(self.pos, self.pos) == '}' then
    self.pos = self.pos + 1
    return obj
  end
  while true do
    self:skip_ws()
    local key = self:parse_string()
    self:skip_ws()
    self:expect(':')
    obj[key] = self:parse_value()
    self:skip_ws()
    local c = self.text:sub(self.pos, self.pos)
    self.pos = self.pos + 1
    if c == '}' then
      return obj
    end
    if c ~= ',' then
      self:error("expected , or }")
    end
  end
end

function Parser:parse_array()
  self:expect('[')
  local arr = setmetatable({}, Array)
  self:skip_ws()
  if self.text:sub(self.pos, self.pos) == ']' then
    self.pos = self.pos + 1
    return arr
  end
  while true do
    arr[#arr + 1] = self:parse_value()
    self:skip_ws()
    local c = self.text:sub(self.pos, self.pos)
    self.pos = self.pos + 1
    if c == ']' then
      return arr
    end
    if c ~= ',' then
      self:error("expected , or ]")
    end
  end
end

function Parser:parse_string()
  self:expect('"')
  local chunks = {}
  local start = self.pos
  while true do
    if self.pos > #self.text then
      self:error("unterminated string")
    end
    local c = self.text:sub(self.pos, self.pos)
    if c == '"' then
      chunks[#chunks + 1] = self.text:sub(start, self.pos - 1)
      self.pos = self.pos + 1
      return table.concat(chunks)
    end
    if c == '\\' then
      chunks[#chunks + 1] = self.text:sub(start, self.pos - 1)
      local esc = self.text:sub(self.pos + 1, self.pos + 1)
      if ESCAPES[esc] == nil then
        self:error("bad escape")
      end
      chunks[#chunks + 1] = ESCAPES[esc]
      self.pos = self.pos + 2
      start = self.pos
    else
      self.pos = self.pos + 1
    end
  end
end

function Parser:is_digit_at()
  local c = self.text:sub(self.pos, self.pos)
  return self.pos <= #self.text and c >= '0' and c <= '9'
end

function Parser:parse_number()
  local start = self.pos
  local is_float = false
  if self.text:sub(self.pos, self.pos) == '-' then
    self.pos = self.pos + 1
  end
  while self:is_digit_at() do
    self.pos = self.pos + 1
  end
  if self.pos <= #self.text and self.text:sub(self.pos, self.pos) == '.' then
    is_float = true
    self.pos = self.pos + 1
    while self:is_digit_at() do
      self.pos = self.pos + 1
    end
  end
  local c = self.text:sub(self.pos, self.pos)
  if self.pos <= #self.text and (c == 'e' or c == 'E') then
    is_float = true
    self.pos = self.pos + 1
    c = self.text:sub(self.pos, self.pos)
    if c == '+' or c == '-' then
      self.pos = self.pos + 1
    end
    while self:is_digit_at() do
      self.pos = self.pos + 1
    end
  end
  local s = self.text:sub(start, self.pos - 1)
  if is_float then
    return tonumber(s) + 0.0
  end
  return math.tointeger(tonumber(s))
end

-- ---------------------------------------------------------------- the check

local function new_stats()
  return {objects = 0, arrays = 0, keys = 0, strings = 0, chars = 0, ints = 0, int_sum = 0,
          floats = 0, milli_sum = 0, trues = 0, falses = 0, nulls = 0}
end

local function walk(v, stats)
  if v == NULL then
    stats.nulls = stats.nulls + 1
  elseif v == true then
    stats.trues = stats.trues + 1
  elseif v == false then
    stats.falses = stats.falses + 1
  elseif math.type(v) == "integer" then
    stats.ints = stats.ints + 1
    stats.int_sum = stats.int_sum + v
  elseif math.type(v) == "float" then
    stats.floats = stats.floats + 1
    stats.milli_sum = stats.milli_sum + trunc(v * 1000)
  elseif type(v) == "string" then
    stats.strings = stats.strings + 1
    stats.chars = stats.chars + #v
  elseif getmetatable(v) == Array then
    stats.arrays = stats.arrays + 1
    for _, x in ipairs(v) do
      walk(x, stats)
    end
  else
    stats.objects = stats.objects + 1
    for k, x in pairs(v) do
      stats.keys = stats.keys + 1
      stats.chars = stats.chars + #k
      walk(x, stats)
    end
  end
end

local function main()
  local text = generate(RECORDS)
  local doc
  for _ = 1, REPEAT do
    doc = Parser.new(text):parse()
  end
  local stats = new_stats()
  walk(doc, stats)
  print(string.format("%d characters, %d records", #text, #doc.records))
  print(string.format("objects %d, arrays %d, keys %d, strings %d, chars %d",
    stats.objects, stats.arrays, stats.keys, stats.strings, stats.chars))
  print(string.format("ints %d (sum %d), floats %d (sum %d / 1000), true %d, false %d, null %d",
    stats.ints, stats.int_sum, stats.floats, stats.milli_sum, stats.trues, stats.falses, stats.nulls))
end

main()
