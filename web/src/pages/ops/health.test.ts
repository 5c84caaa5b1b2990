import { describe, expect, it } from 'vitest'
import { formatDuration, healthSummary, queueRows, queueTone, runRows, runsDaily, type QueueHealth, type ScheduledRun } from './health'

function queue(name: string, visible: number, dead: number, inFlight = 0): QueueHealth {
  return { queue: name, visible, in_flight: inFlight, dead_letters: dead }
}

function run(fn: string, schedule: string, lastSuccessAt: string | null): ScheduledRun {
  return { function: fn, schedule, timezone: 'Asia/Shanghai', last_success_at: lastSuccessAt, last_scheduled_at: null, last_duration_ms: null }
}

const NOW = new Date('2026-12-07T12:00:00Z')

describe('queues', () => {
  it('highlights dead letters over a backlog, and an empty queue not at all', () => {
    expect(queueTone(queue('upload_events', 3, 1))).toBe('dead')
    expect(queueTone(queue('upload_events', 3, 0))).toBe('backlog')
    expect(queueTone(queue('upload_events', 0, 0, 2))).toBe('ok')
  })

  it('lists those with dead letters first, then the deepest, in Chinese', () => {
    const rows = queueRows([queue('roster_events', 0, 0), queue('upload_events', 7, 0), queue('reminder_failures', 0, 2), queue('something_new', 0, 0)])
    expect(rows.map((r) => [r.label, r.tone])).toEqual([
      ['上报提醒（失败重试）', 'dead'],
      ['上传文件校验', 'backlog'],
      ['名册导入', 'ok'],
      ['something_new', 'ok'],
    ])
  })
})

describe('scheduled runs', () => {
  it('knows a schedule that runs every day', () => {
    expect(runsDaily('cron(0 3 * * ? *)')).toBe(true)
    expect(runsDaily('cron(0/30 7-20 * * ? *)')).toBe(true)
    expect(runsDaily('rate(15 minutes)')).toBe(true)
    expect(runsDaily('cron(0 3 ? * MON *)')).toBe(false)
    expect(runsDaily('cron(0 3 1 * ? *)')).toBe(false)
    expect(runsDaily('rate(7 days)')).toBe(false)
  })

  it('highlights a function that never succeeded, or a daily one more than 26 hours ago', () => {
    const rows = runRows(
      [
        run('compaction', 'cron(0 3 * * ? *)', '2026-12-06T19:00:05Z'),
        run('notices', 'cron(30 0 * * ? *)', null),
        run('reminders', 'cron(0/30 7-20 * * ? *)', '2026-12-05T12:30:00Z'),
        run('weekly', 'cron(0 3 ? * MON *)', '2026-12-01T19:00:00Z'),
      ],
      NOW,
    )
    expect(rows.map((r) => [r.label, r.tone])).toEqual([
      ['数据湖夜间合并', 'ok'],
      ['写实记录公示期满归档', 'never'],
      ['数据上报提醒', 'late'],
      ['weekly', 'ok'],
    ])
    expect(rows[0]!.hoursAgo).toBeCloseTo(17, 1)
    expect(rows[1]!.hoursAgo).toBeNull()
  })

  it('sums up what needs a look, or says nothing does', () => {
    const fine = runRows([run('compaction', 'cron(0 3 * * ? *)', '2026-12-07T10:00:00Z')], NOW)
    expect(healthSummary([queue('upload_events', 0, 0)], fine)).toEqual({ text: '各队列没有死信，定时任务均按时运行。', alarm: false })
    const never = runRows([run('notices', 'cron(30 0 * * ? *)', null)], NOW)
    expect(healthSummary([queue('upload_events', 0, 2), queue('roster_events', 0, 1)], never)).toEqual({
      text: '需要处理：2 个队列有死信（共 3 条）；1 个定时任务没有按时成功运行。',
      alarm: true,
    })
  })

  it('writes durations people read', () => {
    expect(formatDuration(null)).toBe('—')
    expect(formatDuration(850)).toBe('850 毫秒')
    expect(formatDuration(12_400)).toBe('12.4 秒')
    expect(formatDuration(185_000)).toBe('3 分 5 秒')
  })
})
