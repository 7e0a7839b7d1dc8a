// The connection cap, body budget and load-shedding thresholds come from the environment, derived from the
// memory limit when not set (docs/reliability.md).
import { getHeapStatistics } from 'node:v8'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config.js'

const MIB = 2 ** 20

describe('load limits', () => {
  it('defaults: 2048 connections, 16 MiB of bodies, 1 s event-loop delay, RSS at 80 % of the memory limit, heap at 90 % of V8 heap limit', () => {
    const limits = loadConfig({ MEMORY_LIMIT_MB: '256' }).loadLimits
    expect(limits).toEqual({
      maxConnections: 2048,
      bodyBudgetBytes: 16 * MIB,
      maxEventLoopDelayMs: 1000,
      maxHeapUsedBytes: Math.floor(getHeapStatistics().heap_size_limit * 0.9),
      maxRssBytes: Math.floor(256 * MIB * 0.8),
      memoryLimitMb: 256,
      memoryLimitFrom: 'MEMORY_LIMIT_MB',
    })
  })

  it('without MEMORY_LIMIT_MB, takes the cgroup limit, else the compose file 256 MB', () => {
    const limits = loadConfig({}).loadLimits
    expect(['cgroup', 'default']).toContain(limits.memoryLimitFrom)
    if (limits.memoryLimitFrom === 'default') expect(limits.memoryLimitMb).toBe(256)
    expect(limits.maxRssBytes).toBe(Math.floor(limits.memoryLimitMb * MIB * 0.8))
  })

  it('reads every variable; 0 turns a limit off', () => {
    const limits = loadConfig({ MAX_CONNECTIONS: '0', BODY_BUFFER_MB: '4', MAX_EVENT_LOOP_DELAY_MS: '0', MEMORY_LIMIT_MB: '0' }).loadLimits
    expect(limits).toMatchObject({ maxConnections: 0, bodyBudgetBytes: 4 * MIB, maxEventLoopDelayMs: 0, maxRssBytes: 0 })
  })

  it.each([
    ['MAX_CONNECTIONS', 'many'],
    ['MAX_CONNECTIONS', '-1'],
    ['BODY_BUFFER_MB', '1.5'],
    ['MAX_EVENT_LOOP_DELAY_MS', '1e3'],
    ['MEMORY_LIMIT_MB', '256m'],
  ])('refuses %s=%s naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^${name} must be a whole number`))
  })
})
