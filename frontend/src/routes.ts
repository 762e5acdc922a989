/**
 * Client-side page paths, following the seed's page layout (and the links that
 * notifications and emails carry, e.g. /consultations/<id>, /consultations/chat?conversation=<id>,
 * /experts/verification-status). Older short paths stay as redirects in App.tsx.
 */
export const paths = {
  experts: "/consultations",
  expert: (id: number | string) => `/consultations/book?expert=${id}`,
  myConsultations: "/consultations/my-consultations",
  consultation: (id: number | string) => `/consultations/${id}`,
  video: (id: number | string) => `/consultations/${id}/video`,
  reschedule: (id: number | string) => `/consultations/${id}/reschedule`,
  chat: "/consultations/chat",
  conversation: (id: number | string) => `/consultations/chat/${id}`,
  startChat: (expertId: number, consultationId?: number) =>
    `/consultations/chat/new?expert=${expertId}${consultationId ? `&consultation=${consultationId}` : ""}`,
  dashboard: "/consultations/expert",
  editProfile: "/consultations/expert/profile",
  apply: "/experts/apply",
  verificationStatus: "/experts/verification-status",
  staffApplications: "/staff/applications",
  account: "/account",
  notificationSettings: "/account#notifications",
  forgotPassword: "/forgot-password",
  integrations: "/consultations/expert/integrations",
  login: "/login",
  signup: "/signup",
};
