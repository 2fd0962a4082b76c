#!/usr/bin/env python3
"""Generates a large synthetic TypeScript monorepo for the benchmark (never committed output).

usage: gen_bench_tree.py OUT_DIR [FILES]   (default 10,000 files, ~40 MB)

Layout: apps/api-N (Nest HTTP apps), apps/worker-N (BullMQ workers), libs/* (shared code),
with file sizes drawn from a realistic spread (0.5-12 KB) and a few files per app that carry
the constructs the rules look for. apps/api-0 has a Prisma schema of 60 models (with
migrations); one service file in ten there queries it through PrismaService, and one in twenty is a
controller that calls a service."""
import json, os, random, sys

out = sys.argv[1]
total = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
rng = random.Random(42)

def write(rel, text):
    path = os.path.join(out, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)

WORDS = "user order invoice payment account session product cart shipment report audit team project task comment".split()

def method(name, i):
    w = rng.choice(WORDS)
    return f"""
  async {name}{i}(id: string, input: Partial<{w.title()}Dto>): Promise<{w.title()}Dto | null> {{
    const existing = await this.repository.findOne({{ where: {{ id }} }});
    if (!existing) {{
      this.logger.warn(`{w} ${{id}} not found`);
      return null;
    }}
    const merged = {{ ...existing, ...input, updatedAt: new Date() }};
    for (const key of Object.keys(merged)) {{
      if (merged[key as keyof typeof merged] === undefined) delete merged[key as keyof typeof merged];
    }}
    return this.repository.save(merged);
  }}
"""

def service_file(n):
    w = rng.choice(WORDS)
    body = "".join(method(rng.choice(["update", "find", "sync", "apply"]), i) for i in range(rng.randint(1, 12)))
    return f"""import {{ Injectable, Logger }} from '@nestjs/common';
import {{ {w.title()}Dto }} from './dto/{w}.dto';
import {{ Repository }} from '../../common/repository';

/** Generated {w} service #{n}. */
@Injectable()
export class {w.title()}Service{n} {{
  private readonly logger = new Logger({w.title()}Service{n}.name);

  constructor(private readonly repository: Repository<{w.title()}Dto>) {{}}
{body}}}
"""

MODELS = [f"{w.title()}{k}" for k in range(4) for w in WORDS][:60]

def prisma_schema():
    out = ['datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n',
           'generator client {\n  provider = "prisma-client-js"\n}\n',
           'model Workspace {\n  id String @id @default(cuid())\n  name String\n}\n']
    for k, m in enumerate(MODELS):
        parent = MODELS[k - 1] if k else None
        lines = [f"model {m} {{", "  id          String   @id @default(cuid())", "  workspaceId String",
                 "  status      String", "  createdAt   DateTime @default(now())"]
        if parent:
            lines.append(f"  {parent[0].lower() + parent[1:]}Id String")
            lines.append(f"  parent      {parent} @relation(fields: [{parent[0].lower() + parent[1:]}Id], references: [id]{', onDelete: Cascade' if k % 3 else ''})")
        child = MODELS[k + 1] if k + 1 < len(MODELS) else None
        if child:
            lines.append(f"  children    {child}[]")
        lines.append("  @@index([workspaceId, createdAt])")
        if parent and k % 2:
            lines.append(f"  @@index([{parent[0].lower() + parent[1:]}Id])")
        lines.append("}\n")
        out.append("\n".join(lines))
    return "\n".join(out)

def prisma_service_file(n):
    m = rng.choice(MODELS)
    acc = m[0].lower() + m[1:]
    methods = []
    for i in range(rng.randint(2, 8)):
        shape = rng.choice([
            f"{{ id, workspaceId }}", "{ id }", "{ status: 'open', workspaceId }",
            "{ AND: [{ workspaceId }, { status: 'done' }] }", "where"])
        op = rng.choice(["findFirst", "findMany", "count", "updateMany"])
        extra = ", data: { status: 'x' }" if op == "updateMany" else (", take: 50" if op == "findMany" and i % 2 else "")
        methods.append(f"""
  async q{i}(id: string, workspaceId: string, where: Prisma.{m}WhereInput) {{
    const rows = await this.prisma.{acc}.{op}({{ where: {shape}{extra} }});
    for (const r of [rows].flat()) {{
      this.logger.debug(`row ${{JSON.stringify(r)}}`);
    }}
    return rows;
  }}
""")
    return f"""import {{ Injectable, Logger }} from '@nestjs/common';
import {{ Prisma }} from '@prisma/client';
import {{ PrismaService }} from '../../prisma/prisma.service';

@Injectable()
export class {m}Store{n} {{
  private readonly logger = new Logger({m}Store{n}.name);

  constructor(private readonly prisma: PrismaService) {{}}
{"".join(methods)}}}
"""

def controller_file(n):
    return f"""import {{ Controller, Get, Param }} from '@nestjs/common';
import {{ ProjectService{n} }} from './project.service';

@Controller('items-{n}')
export class ItemsController{n} {{
  constructor(private readonly service: ProjectService{n}) {{}}

  @Get()
  list() {{
    return this.service.q0('a', 'b', {{}});
  }}

  @Get(':id')
  one(@Param('id') id: string) {{
    return this.service.q1(id, 'b', {{}});
  }}
}}
"""

def nest_app(root, i):
    pkg = {"name": f"api-{i}", "dependencies": {"@nestjs/core": "^10.0.0", "@nestjs/common": "^10.0.0",
           "@nestjs/platform-express": "^10.0.0", "@nestjs/throttler": "^5.0.0", "helmet": "^7.0.0"}}
    if i == 0:
        pkg["dependencies"]["@prisma/client"] = "^5.0.0"
        write(f"{root}/prisma/schema.prisma", prisma_schema())
        write(f"{root}/prisma/migrations/20240101000000_init/migration.sql", "-- init\n")
    write(f"{root}/package.json", json.dumps(pkg, indent=2))
    write(f"{root}/src/main.ts", """import { NestFactory } from '@nestjs/core';
import { ValidationPipe } from '@nestjs/common';
import helmet from 'helmet';
import { AppModule } from './app.module';

async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  app.use(helmet());
  app.enableCors({ origin: process.env.CORS_ORIGINS?.split(',') });
  app.useGlobalPipes(new ValidationPipe({ whitelist: %s }));
  await app.listen(process.env.PORT ?? 3000);
}
bootstrap();
""" % ("true" if i % 2 else "false"))
    write(f"{root}/src/app.module.ts", """import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';

@Module({ imports: [ThrottlerModule.forRoot([{ ttl: 60000, limit: 100 }])] })
export class AppModule {}
""")

def worker_app(root, i):
    write(f"{root}/package.json", json.dumps({"name": f"worker-{i}", "dependencies": {"bullmq": "^5.0.0"}}))
    write(f"{root}/src/index.ts", """import { Worker } from 'bullmq';

const worker = new Worker('jobs', async (job) => job.data, { connection: { url: process.env.REDIS_URL } });
""")

write("package.json", json.dumps({"name": "bench-monorepo", "private": True, "workspaces": ["apps/*", "libs/*"]}))
write("package-lock.json", "{}")
roots = []
for i in range(4):
    nest_app(f"apps/api-{i}", i)
    roots.append(f"apps/api-{i}/src/modules")
for i in range(2):
    worker_app(f"apps/worker-{i}", i)
    roots.append(f"apps/worker-{i}/src/jobs")
for i in range(6):
    roots.append(f"libs/lib-{i}/src")
written = 0
n = 0
while n < total:
    root = rng.choice(roots)
    sub = rng.choice(WORDS)
    if root.startswith("apps/api-0") and n % 10 == 0:
        write(f"{root}/{sub}/{sub}-{n}.store.ts", prisma_service_file(n))
    elif root.startswith("apps/api-0") and n % 20 == 5:
        write(f"{root}/{sub}/{sub}-{n}.controller.ts", controller_file(n))
    else:
        write(f"{root}/{sub}/{sub}-{n}.service.ts", service_file(n))
    n += 1
print(f"wrote {n} TypeScript files under {out}")
