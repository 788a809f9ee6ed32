-- deltablue: the DeltaBlue incremental constraint solver (John Maloney and
-- Mario Wolczko), on a chain of equality constraints and a projection of
-- scale-and-offset constraints. Ported from pyperformance's bm_deltablue
-- (see README.md): classes are metatables (a subclass's __index is its
-- parent), OrderedCollection is a table, pop(0) is table.remove(t, 1).

local N = 100
local REPEAT = 200

local function class(parent)
  local c = {}
  c.__index = c
  if parent then setmetatable(c, {__index = parent}) end
  return c
end

local Strength = class()

function Strength.new(strength, name)
  return setmetatable({strength = strength, name = name}, Strength)
end

function Strength.stronger(s1, s2) return s1.strength < s2.strength end
function Strength.weaker(s1, s2) return s1.strength > s2.strength end

function Strength.weakest_of(s1, s2)
  if Strength.weaker(s1, s2) then
    return s1
  end
  return s2
end

function Strength.strongest(s1, s2)
  if Strength.stronger(s1, s2) then
    return s1
  end
  return s2
end

function Strength:next_weaker()
  local strengths = {
    [0] = Strength.WEAKEST,
    [1] = Strength.WEAK_DEFAULT,
    [2] = Strength.NORMAL,
    [3] = Strength.STRONG_DEFAULT,
    [4] = Strength.PREFERRED,
    -- as in the original (STRONG_PREFERRED would seem right)
    [5] = Strength.REQUIRED,
  }
  return strengths[self.strength]
end

Strength.REQUIRED = Strength.new(0, "required")
Strength.STRONG_PREFERRED = Strength.new(1, "strongPreferred")
Strength.PREFERRED = Strength.new(2, "preferred")
Strength.STRONG_DEFAULT = Strength.new(3, "strongDefault")
Strength.NORMAL = Strength.new(4, "normal")
Strength.WEAK_DEFAULT = Strength.new(5, "weakDefault")
Strength.WEAKEST = Strength.new(6, "weakest")

local planner = nil

local Constraint = class()

function Constraint:add_constraint()
  self:add_to_graph()
  planner:incremental_add(self)
end

function Constraint:satisfy(mark)
  self:choose_method(mark)
  if not self:is_satisfied() then
    if self.strength == Strength.REQUIRED then
      print('Could not satisfy a required constraint!')
    end
    return nil
  end
  self:mark_inputs(mark)
  local out = self:output()
  local overridden = out.determined_by
  if overridden ~= nil then
    overridden:mark_unsatisfied()
  end
  out.determined_by = self
  if not planner:add_propagate(self, mark) then
    print('Cycle encountered')
  end
  out.mark = mark
  return overridden
end

function Constraint:destroy_constraint()
  if self:is_satisfied() then
    planner:incremental_remove(self)
  else
    self:remove_from_graph()
  end
end

function Constraint:is_input() return false end

local UrnaryConstraint = class(Constraint)

function UrnaryConstraint.init(self, v, strength)
  self.strength = strength
  self.my_output = v
  self.satisfied = false
  self:add_constraint()
  return self
end

function UrnaryConstraint:add_to_graph()
  self.my_output:add_constraint(self)
  self.satisfied = false
end

function UrnaryConstraint:choose_method(mark)
  if self.my_output.mark ~= mark and
     Strength.stronger(self.strength, self.my_output.walk_strength) then
    self.satisfied = true
  else
    self.satisfied = false
  end
end

function UrnaryConstraint:is_satisfied() return self.satisfied end
function UrnaryConstraint:mark_inputs(mark) end
function UrnaryConstraint:output() return self.my_output end

function UrnaryConstraint:recalculate()
  self.my_output.walk_strength = self.strength
  self.my_output.stay = not self:is_input()
  if self.my_output.stay then
    self:execute()
  end
end

function UrnaryConstraint:mark_unsatisfied() self.satisfied = false end
function UrnaryConstraint:inputs_known(mark) return true end

function UrnaryConstraint:remove_from_graph()
  if self.my_output ~= nil then
    self.my_output:remove_constraint(self)
    self.satisfied = false
  end
end

local StayConstraint = class(UrnaryConstraint)
function StayConstraint.new(v, s) return UrnaryConstraint.init(setmetatable({}, StayConstraint), v, s) end
function StayConstraint:execute() end

local EditConstraint = class(UrnaryConstraint)
function EditConstraint.new(v, s) return UrnaryConstraint.init(setmetatable({}, EditConstraint), v, s) end
function EditConstraint:is_input() return true end
function EditConstraint:execute() end

local Direction = {NONE = 0, FORWARD = 1, BACKWARD = -1}

local BinaryConstraint = class(Constraint)

function BinaryConstraint.init(self, v1, v2, strength)
  self.strength = strength
  self.v1 = v1
  self.v2 = v2
  self.direction = Direction.NONE
  self:add_constraint()
  return self
end

function BinaryConstraint:choose_method(mark)
  if self.v1.mark == mark then
    if self.v2.mark ~= mark and Strength.stronger(self.strength, self.v2.walk_strength) then
      self.direction = Direction.FORWARD
    else
      self.direction = Direction.BACKWARD
    end
  end

  if self.v2.mark == mark then
    if self.v1.mark ~= mark and Strength.stronger(self.strength, self.v1.walk_strength) then
      self.direction = Direction.BACKWARD
    else
      self.direction = Direction.NONE
    end
  end

  if Strength.weaker(self.v1.walk_strength, self.v2.walk_strength) then
    if Strength.stronger(self.strength, self.v1.walk_strength) then
      self.direction = Direction.BACKWARD
    else
      self.direction = Direction.NONE
    end
  else
    if Strength.stronger(self.strength, self.v2.walk_strength) then
      self.direction = Direction.FORWARD
    else
      self.direction = Direction.BACKWARD
    end
  end
end

function BinaryConstraint:add_to_graph()
  self.v1:add_constraint(self)
  self.v2:add_constraint(self)
  self.direction = Direction.NONE
end

function BinaryConstraint:is_satisfied() return self.direction ~= Direction.NONE end

function BinaryConstraint:mark_inputs(mark)
  self:input().mark = mark
end

function BinaryConstraint:input()
  if self.direction == Direction.FORWARD then
    return self.v1
  end
  return self.v2
end

function BinaryConstraint:output()
  if self.direction == Direction.FORWARD then
    return self.v2
  end
  return self.v1
end

function BinaryConstraint:recalculate()
  local ihn = self:input()
  local out = self:output()
  out.walk_strength = Strength.weakest_of(self.strength, ihn.walk_strength)
  out.stay = ihn.stay
  if out.stay then
    self:execute()
  end
end

function BinaryConstraint:mark_unsatisfied() self.direction = Direction.NONE end

function BinaryConstraint:inputs_known(mark)
  local i = self:input()
  return i.mark == mark or i.stay or i.determined_by == nil
end

function BinaryConstraint:remove_from_graph()
  if self.v1 ~= nil then
    self.v1:remove_constraint(self)
  end
  if self.v2 ~= nil then
    self.v2:remove_constraint(self)
  end
  self.direction = Direction.NONE
end

local ScaleConstraint = class(BinaryConstraint)

function ScaleConstraint.new(src, scale, offset, dest, strength)
  local self = setmetatable({}, ScaleConstraint)
  self.direction = Direction.NONE
  self.scale = scale
  self.offset = offset
  return BinaryConstraint.init(self, src, dest, strength)
end

function ScaleConstraint:add_to_graph()
  BinaryConstraint.add_to_graph(self)
  self.scale:add_constraint(self)
  self.offset:add_constraint(self)
end

function ScaleConstraint:remove_from_graph()
  BinaryConstraint.remove_from_graph(self)
  if self.scale ~= nil then
    self.scale:remove_constraint(self)
  end
  if self.offset ~= nil then
    self.offset:remove_constraint(self)
  end
end

function ScaleConstraint:mark_inputs(mark)
  BinaryConstraint.mark_inputs(self, mark)
  self.scale.mark = mark
  self.offset.mark = mark
end

function ScaleConstraint:execute()
  if self.direction == Direction.FORWARD then
    self.v2.value = self.v1.value * self.scale.value + self.offset.value
  else
    self.v1.value = (self.v2.value - self.offset.value) / self.scale.value
  end
end

function ScaleConstraint:recalculate()
  local ihn = self:input()
  local out = self:output()
  out.walk_strength = Strength.weakest_of(self.strength, ihn.walk_strength)
  out.stay = ihn.stay and self.scale.stay and self.offset.stay
  if out.stay then
    self:execute()
  end
end

local EqualityConstraint = class(BinaryConstraint)

function EqualityConstraint.new(v1, v2, s)
  return BinaryConstraint.init(setmetatable({}, EqualityConstraint), v1, v2, s)
end

function EqualityConstraint:execute()
  self:output().value = self:input().value
end

local Variable = class()

function Variable.new(name, initial_value)
  return setmetatable({name = name, value = initial_value or 0, constraints = {},
                       determined_by = nil, mark = 0, walk_strength = Strength.WEAKEST,
                       stay = true}, Variable)
end

function Variable:add_constraint(constraint)
  self.constraints[#self.constraints + 1] = constraint
end

function Variable:remove_constraint(constraint)
  -- list.remove: the first occurrence
  for i, c in ipairs(self.constraints) do
    if c == constraint then
      table.remove(self.constraints, i)
      break
    end
  end
  if self.determined_by == constraint then
    self.determined_by = nil
  end
end

local Plan = class()

function Plan.new() return setmetatable({v = {}}, Plan) end
function Plan:add_constraint(c) self.v[#self.v + 1] = c end

function Plan:execute()
  for _, c in ipairs(self.v) do
    c:execute()
  end
end

local Planner = class()

function Planner.new() return setmetatable({current_mark = 0}, Planner) end

function Planner:incremental_add(constraint)
  local mark = self:new_mark()
  local overridden = constraint:satisfy(mark)
  while overridden ~= nil do
    overridden = overridden:satisfy(mark)
  end
end

function Planner:incremental_remove(constraint)
  local out = constraint:output()
  constraint:mark_unsatisfied()
  constraint:remove_from_graph()
  local unsatisfied = self:remove_propagate_from(out)
  local strength = Strength.REQUIRED
  -- a do-while loop
  local rep = true
  while rep do
    for _, u in ipairs(unsatisfied) do
      if u.strength == strength then
        self:incremental_add(u)
      end
      strength = strength:next_weaker()
    end
    rep = strength ~= Strength.WEAKEST
  end
end

function Planner:new_mark()
  self.current_mark = self.current_mark + 1
  return self.current_mark
end

function Planner:make_plan(sources)
  local mark = self:new_mark()
  local plan = Plan.new()
  local todo = sources
  while #todo > 0 do
    local c = table.remove(todo, 1)
    if c:output().mark ~= mark and c:inputs_known(mark) then
      plan:add_constraint(c)
      c:output().mark = mark
      self:add_constraints_consuming_to(c:output(), todo)
    end
  end
  return plan
end

function Planner:extract_plan_from_constraints(constraints)
  local sources = {}
  for _, c in ipairs(constraints) do
    if c:is_input() and c:is_satisfied() then
      sources[#sources + 1] = c
    end
  end
  return self:make_plan(sources)
end

function Planner:add_propagate(c, mark)
  local todo = {c}
  while #todo > 0 do
    local d = table.remove(todo, 1)
    if d:output().mark == mark then
      self:incremental_remove(c)
      return false
    end
    d:recalculate()
    self:add_constraints_consuming_to(d:output(), todo)
  end
  return true
end

function Planner:remove_propagate_from(out)
  out.determined_by = nil
  out.walk_strength = Strength.WEAKEST
  out.stay = true
  local unsatisfied = {}
  local todo = {out}
  while #todo > 0 do
    local v = table.remove(todo, 1)
    for _, c in ipairs(v.constraints) do
      if not c:is_satisfied() then
        unsatisfied[#unsatisfied + 1] = c
      end
    end
    local determining = v.determined_by
    for _, c in ipairs(v.constraints) do
      if c ~= determining and c:is_satisfied() then
        c:recalculate()
        todo[#todo + 1] = c:output()
      end
    end
  end
  return unsatisfied
end

function Planner:add_constraints_consuming_to(v, coll)
  local determining = v.determined_by
  for _, c in ipairs(v.constraints) do
    if c ~= determining and c:is_satisfied() then
      coll[#coll + 1] = c
    end
  end
end

-- A chain of n equality constraints with a stay constraint at one end and an
-- edit constraint at the other: the edit is stronger, so values propagate
-- down the whole chain.
local function chain_test(n)
  planner = Planner.new()
  local prev, first, last = nil, nil, nil
  -- up to n inclusive
  for i = 0, n do
    local name = "v" .. i
    local v = Variable.new(name)
    if prev ~= nil then
      EqualityConstraint.new(prev, v, Strength.REQUIRED)
    end
    if i == 0 then
      first = v
    end
    if i == n then
      last = v
    end
    prev = v
  end
  StayConstraint.new(last, Strength.STRONG_DEFAULT)
  local edit = EditConstraint.new(first, Strength.PREFERRED)
  local edits = {edit}
  local plan = planner:extract_plan_from_constraints(edits)
  local total = 0
  for i = 0, 99 do
    first.value = i
    plan:execute()
    total = total + last.value
    if last.value ~= i then
      print("Chain test failed.")
    end
  end
  return total
end

local function change(v, new_value)
  local edit = EditConstraint.new(v, Strength.PREFERRED)
  local edits = {edit}
  local plan = planner:extract_plan_from_constraints(edits)
  for i = 1, 10 do
    v.value = new_value
    plan:execute()
  end
  edit:destroy_constraint()
end

-- Two sets of variables related by a scale and an offset: change a variable
-- on either side, then the scale, then the offset.
local function projection_test(n)
  planner = Planner.new()
  local scale = Variable.new("scale", 10)
  local offset = Variable.new("offset", 1000)
  local src, dst = nil, nil

  local dests = {}
  for i = 0, n - 1 do
    src = Variable.new("src" .. i, i)
    dst = Variable.new("dst" .. i, i)
    dests[#dests + 1] = dst
    StayConstraint.new(src, Strength.NORMAL)
    ScaleConstraint.new(src, scale, offset, dst, Strength.REQUIRED)
  end

  change(src, 17)
  local total = dst.value
  if dst.value ~= 1170 then
    print("Projection 1 failed")
  end
  change(dst, 1050)
  total = total + src.value
  if src.value ~= 5 then
    print("Projection 2 failed")
  end
  change(scale, 5)
  for i = 0, n - 2 do
    total = total + dests[i + 1].value
    if dests[i + 1].value ~= (i * 5 + 1000) then
      print("Projection 3 failed")
    end
  end
  change(offset, 2000)
  for i = 0, n - 2 do
    total = total + dests[i + 1].value
    if dests[i + 1].value ~= (i * 5 + 2000) then
      print("Projection 4 failed")
    end
  end
  return total
end

local function delta_blue(n)
  return chain_test(n), projection_test(n)
end

local chain_total, projection_total = 0, 0
for _ = 1, REPEAT do
  local c, p = delta_blue(N)
  chain_total = chain_total + c
  projection_total = projection_total + p
end
print(string.format("deltablue %d x %d: chain %d, projection %d", N, REPEAT, chain_total, math.floor(projection_total)))
