// Serves public/: the pages' stylesheet and icon (GET / is the entry form, src/items/form-routes.ts).
import fastifyStatic from '@fastify/static'
import fp from 'fastify-plugin'
import { fileURLToPath } from 'node:url'

// public/ sits beside src/ and dist/, so one relative path works from both.
const PUBLIC_DIR = fileURLToPath(new URL('../../public/', import.meta.url))

export default fp(
  async function staticFiles(fastify) {
    await fastify.register(fastifyStatic, { root: PUBLIC_DIR, prefix: '/', index: false, wildcard: false })
  },
  { name: 'static-files' },
)
