// `npm start`'s prestart: builds dist/ first when it is missing or older than the sources, so a fresh clone
// starts with `npm start` alone instead of failing with "Cannot find module .../dist/server.js".
// Plain JavaScript, so it runs where only production dependencies are installed. Without src/ (the Docker
// image) there is nothing to build or compare.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import process from 'node:process'

const ENTRY = 'dist/server.js'
const INPUTS = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json']

/** The latest modification time of a file, or of any file under a folder; 0 when absent. */
function newest(path) {
  if (!existsSync(path)) return 0
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  return Math.max(0, ...readdirSync(path).map((entry) => newest(join(path, entry))))
}

if (existsSync('src')) {
  const built = existsSync(ENTRY) ? statSync(ENTRY).mtimeMs : 0
  const sources = Math.max(...INPUTS.map(newest))
  if (built < sources) {
    const why = built === 0 ? `${ENTRY} is missing` : `${ENTRY} is older than the sources`
    if (!existsSync('node_modules/.bin/tsc')) {
      process.stderr.write(`item-store: ${why} and TypeScript is not installed: run \`npm ci\`, then \`npm start\`.\n`)
      process.exit(1)
    }
    process.stderr.write(`item-store: ${why}: building it first (npm run build).\n`)
    const build = spawnSync('npm', ['run', 'build'], { stdio: 'inherit', shell: process.platform === 'win32' })
    process.exit(build.status ?? 1)
  }
}
