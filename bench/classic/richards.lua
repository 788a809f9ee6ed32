-- richards: Martin Richards' simulation of an operating system's task
-- scheduler. Ported from pyperformance's bm_richards (see README.md), with
-- the Python classes as metatables (a subclass's __index is its parent).

local ITERATIONS = 15

-- task ids
local I_IDLE = 1
local I_WORK = 2
local I_HANDLERA = 3
local I_HANDLERB = 4
local I_DEVA = 5
local I_DEVB = 6

-- packet kinds
local K_DEV = 1000
local K_WORK = 1001

local BUFSIZE = 4

local function class(parent)
  local c = {}
  c.__index = c
  if parent then setmetatable(c, {__index = parent}) end
  return c
end

local Packet = class()

function Packet.new(l, i, k)
  local data = {}
  for n = 1, BUFSIZE do data[n] = 0 end
  return setmetatable({link = l, ident = i, kind = k, datum = 0, data = data}, Packet)
end

function Packet:append_to(lst)
  self.link = nil
  if lst == nil then
    return self
  end
  local p = lst
  local next = p.link
  while next ~= nil do
    p = next
    next = p.link
  end
  p.link = self
  return lst
end

-- the records the task functions work on
local TaskRec = class()
local DeviceTaskRec = class(TaskRec)
function DeviceTaskRec.new() return setmetatable({pending = nil}, DeviceTaskRec) end
local IdleTaskRec = class(TaskRec)
function IdleTaskRec.new() return setmetatable({control = 1, count = 10000}, IdleTaskRec) end
local HandlerTaskRec = class(TaskRec)
function HandlerTaskRec.new() return setmetatable({work_in = nil, device_in = nil}, HandlerTaskRec) end
local WorkerTaskRec = class(TaskRec)
function WorkerTaskRec.new() return setmetatable({destination = I_HANDLERA, count = 0}, WorkerTaskRec) end

function HandlerTaskRec:workInAdd(p)
  self.work_in = p:append_to(self.work_in)
  return self.work_in
end

function HandlerTaskRec:deviceInAdd(p)
  self.device_in = p:append_to(self.device_in)
  return self.device_in
end

local TaskState = class()

function TaskState.new()
  return setmetatable({packet_pending = true, task_waiting = false, task_holding = false}, TaskState)
end

function TaskState:packetPending()
  self.packet_pending = true
  self.task_waiting = false
  self.task_holding = false
  return self
end

function TaskState:waiting()
  self.packet_pending = false
  self.task_waiting = true
  self.task_holding = false
  return self
end

function TaskState:running()
  self.packet_pending = false
  self.task_waiting = false
  self.task_holding = false
  return self
end

function TaskState:waitingWithPacket()
  self.packet_pending = true
  self.task_waiting = true
  self.task_holding = false
  return self
end

function TaskState:isPacketPending() return self.packet_pending end
function TaskState:isTaskWaiting() return self.task_waiting end
function TaskState:isTaskHolding() return self.task_holding end

function TaskState:isTaskHoldingOrWaiting()
  return self.task_holding or (not self.packet_pending and self.task_waiting)
end

function TaskState:isWaitingWithPacket()
  return self.packet_pending and self.task_waiting and not self.task_holding
end

local tracing = false
local layout = 0

local function trace(a)
  layout = layout - 1
  if layout <= 0 then
    io.write("\n")
    layout = 50
  end
  io.write(tostring(a))
end

local TASKTABSIZE = 10

local taskWorkArea = {taskTab = {}, taskList = nil, holdCount = 0, qpktCount = 0}

local Task = class(TaskState)

function Task.init(self, i, p, w, initialState, r)
  self.link = taskWorkArea.taskList
  self.ident = i
  self.priority = p
  self.input = w
  self.packet_pending = initialState:isPacketPending()
  self.task_waiting = initialState:isTaskWaiting()
  self.task_holding = initialState:isTaskHolding()
  self.handle = r
  taskWorkArea.taskList = self
  taskWorkArea.taskTab[i] = self
  return self
end

function Task:addPacket(p, old)
  if self.input == nil then
    self.input = p
    self.packet_pending = true
    if self.priority > old.priority then
      return self
    end
  else
    p:append_to(self.input)
  end
  return old
end

function Task:runTask()
  local msg
  if self:isWaitingWithPacket() then
    msg = self.input
    self.input = msg.link
    if self.input == nil then
      self:running()
    else
      self:packetPending()
    end
  else
    msg = nil
  end
  return self:fn(msg, self.handle)
end

function Task:waitTask()
  self.task_waiting = true
  return self
end

function Task:hold()
  taskWorkArea.holdCount = taskWorkArea.holdCount + 1
  self.task_holding = true
  return self.link
end

function Task:release(i)
  local t = self:findtcb(i)
  t.task_holding = false
  if t.priority > self.priority then
    return t
  end
  return self
end

function Task:qpkt(pkt)
  local t = self:findtcb(pkt.ident)
  taskWorkArea.qpktCount = taskWorkArea.qpktCount + 1
  pkt.link = nil
  pkt.ident = self.ident
  return t:addPacket(pkt, self)
end

function Task:findtcb(id)
  local t = taskWorkArea.taskTab[id]
  if t == nil then
    error(string.format("Bad task id %d", id))
  end
  return t
end

local DeviceTask = class(Task)
function DeviceTask.new(i, p, w, s, r) return Task.init(setmetatable({}, DeviceTask), i, p, w, s, r) end

function DeviceTask:fn(pkt, r)
  local d = r
  assert(getmetatable(d) == DeviceTaskRec)
  if pkt == nil then
    pkt = d.pending
    if pkt == nil then
      return self:waitTask()
    end
    d.pending = nil
    return self:qpkt(pkt)
  end
  d.pending = pkt
  if tracing then
    trace(pkt.datum)
  end
  return self:hold()
end

local HandlerTask = class(Task)
function HandlerTask.new(i, p, w, s, r) return Task.init(setmetatable({}, HandlerTask), i, p, w, s, r) end

function HandlerTask:fn(pkt, r)
  local h = r
  assert(getmetatable(h) == HandlerTaskRec)
  if pkt ~= nil then
    if pkt.kind == K_WORK then
      h:workInAdd(pkt)
    else
      h:deviceInAdd(pkt)
    end
  end
  local work = h.work_in
  if work == nil then
    return self:waitTask()
  end
  local count = work.datum
  if count >= BUFSIZE then
    h.work_in = work.link
    return self:qpkt(work)
  end
  local dev = h.device_in
  if dev == nil then
    return self:waitTask()
  end
  h.device_in = dev.link
  dev.datum = work.data[count + 1]
  work.datum = count + 1
  return self:qpkt(dev)
end

local IdleTask = class(Task)
function IdleTask.new(i, p, w, s, r) return Task.init(setmetatable({}, IdleTask), i, 0, nil, s, r) end

function IdleTask:fn(pkt, r)
  local i = r
  assert(getmetatable(i) == IdleTaskRec)
  i.count = i.count - 1
  if i.count == 0 then
    return self:hold()
  elseif i.control & 1 == 0 then
    i.control = i.control // 2
    return self:release(I_DEVA)
  end
  i.control = (i.control // 2) ~ 0xd008
  return self:release(I_DEVB)
end

local A = string.byte('A')

local WorkTask = class(Task)
function WorkTask.new(i, p, w, s, r) return Task.init(setmetatable({}, WorkTask), i, p, w, s, r) end

function WorkTask:fn(pkt, r)
  local w = r
  assert(getmetatable(w) == WorkerTaskRec)
  if pkt == nil then
    return self:waitTask()
  end
  local dest
  if w.destination == I_HANDLERA then
    dest = I_HANDLERB
  else
    dest = I_HANDLERA
  end
  w.destination = dest
  pkt.ident = dest
  pkt.datum = 0
  for i = 1, BUFSIZE do
    w.count = w.count + 1
    if w.count > 26 then
      w.count = 1
    end
    pkt.data[i] = A + w.count - 1
  end
  return self:qpkt(pkt)
end

local function schedule()
  local t = taskWorkArea.taskList
  while t ~= nil do
    if tracing then
      print("tcb =", t.ident)
    end
    if t:isTaskHoldingOrWaiting() then
      t = t.link
    else
      if tracing then
        trace(string.char(string.byte("0") + t.ident))
      end
      t = t:runTask()
    end
  end
end

local function run(iterations)
  for i = 1, iterations do
    taskWorkArea.holdCount = 0
    taskWorkArea.qpktCount = 0

    IdleTask.new(I_IDLE, 1, 10000, TaskState.new():running(), IdleTaskRec.new())

    local wkq = Packet.new(nil, 0, K_WORK)
    wkq = Packet.new(wkq, 0, K_WORK)
    WorkTask.new(I_WORK, 1000, wkq, TaskState.new():waitingWithPacket(), WorkerTaskRec.new())

    wkq = Packet.new(nil, I_DEVA, K_DEV)
    wkq = Packet.new(wkq, I_DEVA, K_DEV)
    wkq = Packet.new(wkq, I_DEVA, K_DEV)
    HandlerTask.new(I_HANDLERA, 2000, wkq, TaskState.new():waitingWithPacket(), HandlerTaskRec.new())

    wkq = Packet.new(nil, I_DEVB, K_DEV)
    wkq = Packet.new(wkq, I_DEVB, K_DEV)
    wkq = Packet.new(wkq, I_DEVB, K_DEV)
    HandlerTask.new(I_HANDLERB, 3000, wkq, TaskState.new():waitingWithPacket(), HandlerTaskRec.new())

    wkq = nil
    DeviceTask.new(I_DEVA, 4000, wkq, TaskState.new():waiting(), DeviceTaskRec.new())
    DeviceTask.new(I_DEVB, 5000, wkq, TaskState.new():waiting(), DeviceTaskRec.new())

    schedule()

    if not (taskWorkArea.holdCount == 9297 and taskWorkArea.qpktCount == 23246) then
      return false
    end
  end
  return true
end

local ok = run(ITERATIONS)
print(string.format("richards %d iterations: %s, holdCount %d, qpktCount %d",
  ITERATIONS, ok and "ok" or "FAILED", taskWorkArea.holdCount, taskWorkArea.qpktCount))
