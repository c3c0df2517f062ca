import { createRouter, createWebHistory } from 'vue-router';
import { auth, probeAuth } from './lib/api.js';
import DashboardPage from './pages/DashboardPage.vue';
import AccountsPage from './pages/AccountsPage.vue';
import ConfigPage from './pages/ConfigPage.vue';
import ModelsPage from './pages/ModelsPage.vue';
import LogsPage from './pages/LogsPage.vue';
import LoginPage from './pages/LoginPage.vue';

export const pages = [
  { path: '/', name: 'dashboard', component: DashboardPage, meta: { title: 'Dashboard', icon: 'dashboard' } },
  { path: '/accounts', name: 'accounts', component: AccountsPage, meta: { title: 'Accounts', icon: 'accounts' } },
  { path: '/models', name: 'models', component: ModelsPage, meta: { title: 'Model mappings', icon: 'models' } },
  { path: '/config', name: 'config', component: ConfigPage, meta: { title: 'Server config', icon: 'config' } },
  { path: '/logs', name: 'logs', component: LogsPage, meta: { title: 'Logs', icon: 'logs' } },
];

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    ...pages,
    { path: '/login', name: 'login', component: LoginPage, meta: { title: 'Sign in', bare: true } },
    { path: '/:rest(.*)*', redirect: '/' },
  ],
});

router.beforeEach(async (to) => {
  if (auth.mode === 'unknown') await probeAuth();
  const locked = auth.mode === 'login' || auth.mode === 'forbidden';
  if (locked && to.name !== 'login') return { name: 'login', query: { next: to.fullPath } };
  if (!locked && to.name === 'login') return to.query.next || '/';
  return true;
});

router.afterEach((to) => {
  document.title = `${to.meta.title ?? 'Admin'} · kiro-bridge`;
});
